"""Serial numbers (list by item, warehouse, status, prefix, partner and receipt date; one serial with its history)
and stock levels."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from store import lookups
from store.errors import NotFound

from .deps import MAX_PAGE, Auth, decode_cursor, is_code, is_id, page
from .schemas import (
    LookupOut,
    SerialMatches,
    SerialPage,
    StockPage,
    Text,
    error_responses,
    lookup_out,
    serial_detail_out,
    serial_out,
    stock_out,
)

router = APIRouter()

After = Annotated[Text | None, Query(description="the `next` cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def _serial_key(v) -> bool:
    return isinstance(v, list) and len(v) == 2 and is_code(v[0]) and is_id(v[1])


@router.get("/serials", tags=["serials"], response_model=SerialPage, responses=error_responses(401, 422),
            summary="List serial numbers in code order")
def list_serials(ctx: Auth,
                 item: Annotated[Text | None, Query(description="item code")] = None,
                 warehouse: Annotated[Text | None, Query(description="warehouse code")] = None,
                 status: Annotated[Literal["in_stock", "issued", "removed"] | None,
                                   Query(description="left out: every status")] = None,
                 prefix: Annotated[Text | None, Query(description="the serials start with this")] = None,
                 received_from: Annotated[Text | None, Query(
                     description="partner code of its latest goods receipt (the supplier)")] = None,
                 issued_to: Annotated[Text | None, Query(
                     description="partner code of the goods issue after that receipt (the customer)")] = None,
                 received_after: Annotated[dt.date | None, Query(
                     description="its latest goods receipt is dated on or after this day (YYYY-MM-DD)")] = None,
                 received_before: Annotated[dt.date | None, Query(
                     description="its latest goods receipt is dated on or before this day (YYYY-MM-DD)")] = None,
                 after: After = None, limit: Limit = 100):
    """Serial numbers in code order, filtered by item, warehouse, status, prefix, the partner of their latest
    goods receipt or of the issue after it, and the receipt's date range. Each row says where the serial is
    now, who it came from and who it went to."""
    def work():
        start = decode_cursor(after, _serial_key)
        rows = lookups.list_serials(item=item, warehouse=warehouse, status=status, prefix=prefix,
                                    received_from=received_from, issued_to=issued_to,
                                    received_after=received_after, received_before=received_before,
                                    after=tuple(start) if start else None, limit=limit + 1)
        rows, nxt = page(rows, limit, lambda r: [r.code, r.id])
        return SerialPage(data=[serial_out(r) for r in rows], next=nxt)
    return ctx.read(work)


@router.get("/serials/{code:path}", tags=["serials"], response_model=SerialMatches,
            responses=error_responses(401, 404, 422),
            summary="One serial number with its history (one entry per item that has it)")
def get_serial(code: Annotated[Text, Path(description="the serial number (URL-encoded)")], ctx: Auth,
               item: Annotated[Text | None, Query(description="only this item's serial")] = None):
    """One serial number with its whole history, one entry per item that has a serial of that text (`?item=`
    for one): every movement with its document, the document's date, partner and the invoice behind a
    generated document."""
    def work():
        rows = lookups.find_serial(code)
        if item is not None:
            rows = [r for r in rows if r.item == item.strip()]
        if not rows:
            whose = f" of item {item.strip()}" if item is not None else ""
            raise NotFound(f"No serial {code.strip()}{whose}.", serial=code.strip(), item=item)
        return SerialMatches(data=[serial_detail_out(r) for r in rows])
    return ctx.read(work)


@router.get("/lookup", tags=["serials"], response_model=LookupOut, responses=error_responses(401, 404, 422),
            summary="What a scan is: a serial, an item code or EAN, or a GS1 code (GTIN + serial)",
            description="The terminal app's lookup over HTTP. A GS1 element string (with or without its "
                        "symbology identifier; GS as %1D) or a GS1 Digital Link URI gives the serial of the "
                        "item with that GTIN. 404 when nothing has the code; 422 for a GS1 code that cannot be "
                        "read (a wrong GTIN check digit).")
def lookup_scan(ctx: Auth, scan: Annotated[Text, Query(description="what the scanner read", max_length=500)]):
    def work():
        result = lookups.lookup(scan)
        if not result.found:
            raise NotFound(f"No serial, item or EAN has the code {scan.strip()}.", field="scan")
        return lookup_out(result)
    return ctx.read(work)


def _stock_key(v) -> bool:
    return isinstance(v, list) and len(v) == 2 and is_code(v[0]) and is_code(v[1])


@router.get("/stock", tags=["stock"], response_model=StockPage, responses=error_responses(401, 422),
            summary="Quantity on hand per item and warehouse (non-zero only)")
def stock_levels(ctx: Auth,
                 item: Annotated[Text | None, Query(description="item code")] = None,
                 warehouse: Annotated[Text | None, Query(description="warehouse code")] = None,
                 after: After = None, limit: Limit = 100):
    """Quantity on hand per item and warehouse (non-zero only), in item and warehouse order, paged as the
    other lists."""
    def work():
        start = decode_cursor(after, _stock_key)
        rows = lookups.stock_levels(item=item, warehouse=warehouse, after=tuple(start) if start else None,
                                    limit=limit + 1)
        rows, nxt = page(rows, limit, lambda r: [r.item, r.warehouse])
        return StockPage(data=[stock_out(r) for r in rows], next=nxt)
    return ctx.read(work)
