"""Stock counts and the stock adjustments posting them makes; every rule in store.counts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from store import agendas, counts
from store.documents import delete_document, document_kind, get_document
from store.errors import NotFound

from .deps import MAX_PAGE, Auth, AuthPost, decode_cursor, is_id, page
from .schemas import (
    DocumentOut,
    DocumentPage,
    In,
    LineOut,
    Number,
    Text,
    Utc,
    dec,
    document_out,
    document_row_out,
    error_responses,
)

router = APIRouter()
LISTED = 1000  # missing and extra serials given with a count; the figures say how many there are

CountNumber = Annotated[Text, Path(description="the count's number, e.g. SC-2026-0001")]
AdjustmentNumber = Annotated[Text, Path(description="the adjustment's number, e.g. SA-2026-0001")]


class CountIn(In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"warehouse": "MAIN"},
                                                                              {"warehouse": "MAIN", "items": ["PHONE-X"]}]})

    warehouse: Text = Field(description="the code of the warehouse counted")
    items: list[Text] | None = Field(None, description="item codes; none: every item")
    note: Text | None = None


class ScansIn(In):
    """Either ``serials`` (with ``item`` when the serials are unknown or shared by several items) or an
    untracked ``item`` and the ``quantity`` counted (added to what was counted; negative to correct)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"serials": ["SN-0098", "SN-0099"]}, {"item": "CABLE", "quantity": 12}]})

    serials: list[Text] | None = None
    item: Text | None = None
    quantity: Number | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.serials is None) == (self.quantity is None):
            raise ValueError("give either serials, or an item and its counted quantity")
        if self.quantity is not None and not self.item:
            raise ValueError("a counted quantity needs its item")
        return self


class AdjustmentLineOut(LineOut):
    from_warehouse: str | None = Field(description="the warehouse this line brings serials from into the "
                                       "adjustment's warehouse; none: the line moves into (quantity above 0) or "
                                       "out of (below 0) that warehouse")


class AdjustmentOut(DocumentOut):
    lines: list[AdjustmentLineOut]
    count: str | None = Field(description="the stock count this adjustment was posted from")


def adjustment_out(v) -> AdjustmentOut:
    base = document_out(v).model_dump()
    base["lines"] = [AdjustmentLineOut(**line, from_warehouse=l.from_warehouse) for line, l in zip(base["lines"], v.lines)]
    return AdjustmentOut(**base, count=counts.count_of_adjustment(v.number))


class FiguresOut(BaseModel):
    item: str
    name: str
    tracked: bool
    expected: str
    counted: str
    missing: str
    extra: str
    difference: str


class TotalsOut(BaseModel):
    """Serial numbers of the tracked items (untracked quantities are in their own units and do not add
    up: they are per item in ``figures``), and how many untracked items were counted other than expected."""
    expected: str
    counted: str
    missing: str
    extra: str
    untracked_items: int
    untracked_items_differing: int


class DifferenceOut(BaseModel):
    item: str
    serial: str
    why: str = Field(description="missing, in another warehouse, issued, removed, unknown, another item's serial, "
                     "received (a posted count's extra serial)")
    where: str | None = Field(None, description="the warehouse holding it, or the items it is a serial of")
    scanned_by: str | None = None
    scanned_at: Utc | None = None


class CountOut(BaseModel):
    number: str
    warehouse: str
    status: str = Field(description="open, posted or cancelled")
    items: list[str] = Field(description="the items counted; empty: every item")
    note: str
    operator: str
    started_at: Utc
    closed_at: Utc | None
    closed_by: str
    adjustment: str | None = Field(description="the stock adjustment posting made")
    adjustment_deleted: bool
    totals: TotalsOut
    figures: list[FiguresOut]
    missing: list[DifferenceOut] = Field(description=f"the first {LISTED} missing serials")
    extra: list[DifferenceOut] = Field(description=f"the first {LISTED} extra serials")


class CountRowOut(BaseModel):
    number: str
    warehouse: str
    status: str
    operator: str
    started_at: Utc
    adjustment: str | None
    scans: int


class CountPage(BaseModel):
    data: list[CountRowOut]
    next: str | None


class ScanOut(BaseModel):
    item: str
    serial: str
    expected: bool
    why: str | None
    where: str | None


class ScansOut(BaseModel):
    scans: list[ScanOut]
    totals: TotalsOut
    figures: list[FiguresOut] = Field(description="the counted item's figures (a counted quantity)")


def _totals(t) -> TotalsOut:
    return TotalsOut(expected=dec(t.expected), counted=dec(t.counted), missing=dec(t.missing), extra=dec(t.extra),
                     untracked_items=t.untracked, untracked_items_differing=t.untracked_differing)


def _figures(f) -> FiguresOut:
    return FiguresOut(item=f.item, name=f.name, tracked=f.tracked, expected=dec(f.expected), counted=dec(f.counted),
                      missing=dec(f.missing), extra=dec(f.extra), difference=dec(f.difference))


def _difference(d) -> DifferenceOut:
    return DifferenceOut(item=d.item, serial=d.code, why=d.why, where=d.where, scanned_by=d.scanned_by,
                         scanned_at=d.scanned_at)


def count_out(number: str) -> CountOut:
    v = counts.get_count(number)
    return CountOut(
        number=v.number, warehouse=v.warehouse, status=v.status, items=v.items, note=v.note, operator=v.operator,
        started_at=v.started_at, closed_at=v.closed_at, closed_by=v.closed_by, adjustment=v.adjustment,
        adjustment_deleted=v.adjustment_deleted, totals=_totals(v.totals), figures=[_figures(f) for f in v.figures],
        missing=[_difference(d) for d in counts.missing_serials(v.number, limit=LISTED)],
        extra=[_difference(d) for d in counts.extra_serials(v.number, limit=LISTED)])


@router.post("/stock-counts", status_code=201, response_model=CountOut, tags=["stock-counts"],
             summary="Open a stock count of a warehouse (of every item, or of some)",
             responses=error_responses(401, 404, 422))
def open_count(body: CountIn, ctx: AuthPost):
    """Opens a count of one warehouse, of every item or of the items given; it records when it started. 404 for an unknown warehouse or item."""
    return ctx.write(lambda: count_out(counts.open_count(body.warehouse, body.items, operator=ctx.operator,
                                                         note=body.note or "").number),
                     status=201, request_body=body)


@router.get("/stock-counts", response_model=CountPage, tags=["stock-counts"], summary="List stock counts, newest first",
            responses=error_responses(401, 422))
def list_counts(ctx: Auth,
                status: Annotated[Text | None, Query(description="open, posted or cancelled")] = None,
                warehouse: Annotated[Text | None, Query(description="warehouse code")] = None,
                search: Annotated[Text | None, Query(description="part of the number or note")] = None,
                after: Annotated[Text | None, Query(description="the `next` cursor of the previous page")] = None,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100):
    """Lists stock counts, newest first, filtered by status, warehouse or search; paged with the next cursor."""
    def work():
        before = decode_cursor(after, is_id)
        rows = counts.list_counts(status=status, warehouse=warehouse, search=search, before_id=before, limit=limit + 1)
        rows, nxt = page(rows, limit, lambda r: r.id)
        return CountPage(data=[CountRowOut(number=r.number, warehouse=r.warehouse, status=r.status, operator=r.operator,
                                           started_at=r.started_at, adjustment=r.adjustment, scans=r.scans)
                               for r in rows], next=nxt)
    return ctx.read(work)


@router.get("/stock-counts/{number}", response_model=CountOut, tags=["stock-counts"],
            summary="One stock count: per item expected, counted, missing, extra; the missing and extra serials",
            responses=error_responses(401, 404, 422))
def read_count(number: CountNumber, ctx: Auth):
    """Per item: expected (in stock there now), counted, missing and extra, and the missing and extra serials, as the count stands at this moment."""
    return ctx.read(lambda: count_out(number))


@router.post("/stock-counts/{number}/scans", response_model=ScansOut, tags=["stock-counts"],
             summary="Record scanned serials (all or none), or a counted quantity of an untracked item",
             responses=error_responses(401, 404, 409, 422))
def scan(number: CountNumber, body: ScansIn, ctx: AuthPost):
    """Records scanned serials (all or none: a serial scanned before, or unknown without its item, refuses the batch) or adds a counted quantity of an untracked item (negative to correct)."""
    def work():
        figures = []
        results = []
        if body.serials is not None:
            results = counts.scan_serials(number, body.serials, item=body.item, operator=ctx.operator)
        else:
            figures = [_figures(counts.count_quantity(number, body.item, body.quantity, operator=ctx.operator))]
        return ScansOut(scans=[ScanOut(item=r.item, serial=r.code, expected=r.expected, why=r.why, where=r.where)
                               for r in results], totals=_totals(counts.count_totals(number)), figures=figures)
    return ctx.write(work, request_body=body)


@router.post("/stock-counts/{number}/post", status_code=201, response_model=AdjustmentOut, tags=["stock-counts"],
             summary="Post a count: one stock adjustment makes stock what was counted",
             responses=error_responses(401, 404, 409, 422))
def post(number: CountNumber, ctx: AuthPost):
    """Posts the count: one stock adjustment, in one transaction, makes stock what was counted. 409 when a scanned serial moved since it was scanned."""
    return ctx.write(lambda: adjustment_out(counts.post_count(number, operator=ctx.operator)), status=201)


@router.post("/stock-counts/{number}/cancel", response_model=CountOut, tags=["stock-counts"],
             summary="Cancel an open count: nothing moves", responses=error_responses(401, 404, 409, 422))
def cancel(number: CountNumber, ctx: AuthPost):
    """Cancels an open count: nothing moves, and the count becomes read-only."""
    return ctx.write(lambda: count_out(counts.cancel_count(number, operator=ctx.operator).number))


# --- stock adjustments: read, list, delete ---------------------------------------------------------

def _require_adjustment(number: str) -> None:
    if document_kind(number) != "adjustment":
        raise NotFound(f"{number.strip()} is not a stock adjustment.", document=number.strip())


@router.get("/stock-adjustments", response_model=DocumentPage, tags=["stock-adjustments"],
            summary="List stock adjustments, newest first", responses=error_responses(401, 422))
def list_adjustments(ctx: Auth,
                     search: Annotated[Text | None, Query(description="part of the number or note")] = None,
                     warehouse: Annotated[Text | None, Query(description="warehouse code")] = None,
                     date_from: Annotated[dt.date | None, Query()] = None,
                     date_to: Annotated[dt.date | None, Query()] = None,
                     after: Annotated[Text | None, Query(description="the `next` cursor of the previous page")] = None,
                     limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100):
    """Lists stock adjustments, newest first, filtered by search or warehouse; paged with the next cursor."""
    def work():
        before = decode_cursor(after, is_id)
        rows = agendas.document_rows(["adjustment"], search, before_id=before, limit=limit + 1, warehouse=warehouse,
                                     date_from=date_from, date_to=date_to)
        rows, nxt = page(rows, limit, lambda r: r.id)
        return DocumentPage(data=[document_row_out(r) for r in rows], next=nxt)
    return ctx.read(work)


@router.get("/stock-adjustments/{number}", response_model=AdjustmentOut, tags=["stock-adjustments"],
            summary="One stock adjustment with its lines and serials", responses=error_responses(401, 404, 422))
def read_adjustment(number: AdjustmentNumber, ctx: Auth):
    """One stock adjustment (made by posting a count) with its lines, serials and the count it came from."""
    def work():
        _require_adjustment(number)
        return adjustment_out(get_document(number))
    return ctx.read(work)


@router.delete("/stock-adjustments/{number}", status_code=204, tags=["stock-adjustments"],
               summary="Delete a stock adjustment, reversing what it moved (its count stays posted)",
               responses=error_responses(401, 404, 409, 422))
def remove_adjustment(number: AdjustmentNumber, ctx: Auth):
    """Deletes a stock adjustment, moving back what it moved, under the same rules as other documents; its count stays posted."""
    def work():
        _require_adjustment(number)
        delete_document(number, operator=ctx.operator)
    ctx.read(work)
    return Response(status_code=204)
