"""Goods receipts, goods issues, purchase invoices, sales invoices and transfers: one set of
endpoints per kind, every rule in store.documents."""


import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from store import agendas
from store.documents import (
    KINDS,
    DocumentIn,
    LineIn,
    create_stock_document_from_invoice,
    delete_document,
    document_kind,
    get_document,
    save_document,
)
from store.errors import NotFound

from .deps import MAX_PAGE, Auth, AuthPost, decode_cursor, is_id, page
from .schemas import (
    DocumentBody,
    DocumentOut,
    DocumentPage,
    DocumentUpdate,
    InvoiceBody,
    InvoiceUpdate,
    Text,
    TransferBody,
    TransferUpdate,
    document_out,
    document_row_out,
    error_responses,
)

router = APIRouter()

# URL path, store kind, request bodies (create, update)
RESOURCES = [
    ("goods-receipts", "receipt", DocumentBody, DocumentUpdate),
    ("goods-issues", "issue", DocumentBody, DocumentUpdate),
    ("purchase-invoices", "purchase_invoice", InvoiceBody, InvoiceUpdate),
    ("sales-invoices", "sales_invoice", InvoiceBody, InvoiceUpdate),
    ("transfers", "transfer", TransferBody, TransferUpdate),
]

Number_ = Annotated[Text, Path(description="the document number, e.g. GR-2026-0001")]

# An example body per kind, shown in the OpenAPI document (README's requests); PUT takes the same with
# the version it was read at.
EXAMPLES = {
    "receipt": {"partner": "ACME", "note": "delivery 4711",
                "lines": [{"item": "PHONE-X", "quantity": 3, "serials": ["SN-0098", "SN-0099", "SN-0100"]}]},
    "issue": {"partner": "ACME", "lines": [{"item": "PHONE-X", "quantity": 2, "serials": ["SN-0098", "SN-0100"]}]},
    "purchase_invoice": {"partner": "ACME", "date": "2026-03-02", "generate_movement": True,
                         "lines": [{"item": "PHONE-X", "quantity": 2, "price": "150.00",
                                    "serials": ["SN-0201", "SN-0202"]}, {"item": "CABLE", "quantity": 10}]},
    "sales_invoice": {"partner": "ACME", "lines": [{"item": "PHONE-X", "quantity": 1, "price": "199.90",
                                                    "serials": ["SN-0099"]}]},
    "transfer": {"warehouse": "MAIN", "to_warehouse": "B", "note": "to the shop",
                 "lines": [{"item": "PHONE-X", "quantity": 1, "serials": ["SN-0099"]}]},
}
WHAT = {
    "receipt": "Goods come into the warehouse: every serial of a tracked item is new there (or returns).",
    "issue": "Goods leave the warehouse: every serial must be in stock there.",
    "purchase_invoice": "A supplier's invoice; with `generate_movement` (the configured default) it saves its "
                        "goods receipt in the same transaction.",
    "sales_invoice": "A customer's invoice; with `generate_movement` (the configured default) it saves its goods "
                     "issue in the same transaction. Its serials are picked from what is in stock.",
    "transfer": "Goods move from `warehouse` to `to_warehouse`; serials must be in stock in the first.",
}


def _example(kind: str, *, update: bool = False) -> dict:
    """openapi_extra giving the request body's example for a kind (PUT: with expected_version)."""
    body = dict(EXAMPLES[kind], **({"expected_version": 1} if update else {}))
    return {"requestBody": {"content": {"application/json": {"example": body}}}}


def to_input(kind: str, body: DocumentBody) -> DocumentIn:
    return DocumentIn(
        kind=kind, warehouse=body.warehouse, to_warehouse=getattr(body, "to_warehouse", None),
        partner=body.partner, date=body.date, note=body.note or "",
        generate_movement=getattr(body, "generate_movement", None),
        lines=[LineIn(l.item, l.quantity, l.price, list(l.serials), dict(l.lots), dict(l.expiry_dates))
               for l in body.lines])


def _require_kind(number: str, kind: str) -> None:
    """A number of another kind is not found here (GET /goods-receipts/GI-... is a 404)."""
    actual = document_kind(number)
    if actual != kind:
        raise NotFound(f"{number.strip()} is a {KINDS[actual].title.lower()}, not a {KINDS[kind].title.lower()}.",
                       document=number.strip())


def _add(path: str, kind: str, create_model, update_model) -> None:
    title = KINDS[kind].title
    tag = path
    plural = title.lower() + "s"

    def list_documents(ctx: Auth,
                       search: Annotated[Text | None, Query(description="part of the number or note, or a partner code prefix")] = None,
                       warehouse: Annotated[Text | None, Query(description="warehouse code (either side of a transfer)")] = None,
                       partner: Annotated[Text | None, Query(description="partner code")] = None,
                       date_from: Annotated[dt.date | None, Query()] = None,
                       date_to: Annotated[dt.date | None, Query()] = None,
                       after: Annotated[Text | None, Query(description="the `next` cursor of the previous page")] = None,
                       limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100):
        def work():
            before = decode_cursor(after, is_id)
            rows = agendas.document_rows([kind], search, before_id=before, limit=limit + 1, warehouse=warehouse,
                                         partner=partner, date_from=date_from, date_to=date_to)
            rows, nxt = page(rows, limit, lambda r: r.id)
            return DocumentPage(data=[document_row_out(r) for r in rows], next=nxt)
        return ctx.read(work)

    def create_document(body: create_model, ctx: AuthPost):  # type: ignore[valid-type]
        return ctx.write(lambda: document_out(save_document(to_input(kind, body), operator=ctx.operator)),
                         status=201, request_body=body)

    def read_document(number: Number_, ctx: Auth):
        def work():
            _require_kind(number, kind)
            return document_out(get_document(number))
        return ctx.read(work)

    def replace_document(number: Number_, body: update_model, ctx: Auth):  # type: ignore[valid-type]
        def work():
            _require_kind(number, kind)
            return document_out(save_document(to_input(kind, body), operator=ctx.operator, number=number,
                                              expected_version=body.expected_version))
        return ctx.write(work)

    def remove_document(number: Number_, ctx: Auth):
        def work():
            _require_kind(number, kind)
            delete_document(number, operator=ctx.operator)
        ctx.read(work)
        return Response(status_code=204)

    router.add_api_route(f"/{path}", list_documents, methods=["GET"], response_model=DocumentPage, tags=[tag],
                         name=f"list_{kind}", summary=f"List {plural}, newest first",
                         description=f"{plural.capitalize()}, newest first, filtered by `search` (part of the number "
                                     "or note, or a partner code prefix), warehouse, partner and date range; paged "
                                     "by the `next` cursor.",
                         responses=error_responses(401, 422))
    router.add_api_route(f"/{path}", create_document, methods=["POST"], status_code=201, response_model=DocumentOut,
                         tags=[tag], name=f"create_{kind}", summary=f"Create a {title.lower()} with its lines and serials",
                         description=f"{WHAT[kind]} Saved whole or refused whole: 409 `document_refused` lists every "
                                     "problem by line and serial. Send an `Idempotency-Key` header to retry safely.",
                         openapi_extra=_example(kind),
                         responses=error_responses(401, 409, 422))
    router.add_api_route(f"/{path}/{{number}}", read_document, methods=["GET"], response_model=DocumentOut,
                         tags=[tag], name=f"get_{kind}", summary=f"One {title.lower()} with its lines and serials",
                         description=f"One {title.lower()} by number, with its lines, serials and `version` (send it "
                                     "back as `expected_version` when replacing it).",
                         responses=error_responses(401, 404, 422))
    router.add_api_route(f"/{path}/{{number}}", replace_document, methods=["PUT"], response_model=DocumentOut,
                         tags=[tag], name=f"update_{kind}",
                         summary=f"Replace a {title.lower()}: stock moves by the difference",
                         description="The document as it should be now; only the difference moves stock. Refused "
                                     "(409) when a serial involved has moved since, or when `expected_version` is "
                                     "not the current one.",
                         openapi_extra=_example(kind, update=True),
                         responses=error_responses(401, 404, 409, 422))
    router.add_api_route(f"/{path}/{{number}}", remove_document, methods=["DELETE"], status_code=204, tags=[tag],
                         name=f"delete_{kind}", summary=f"Delete a {title.lower()}, reversing what it moved",
                         description="Every movement is reversed in the ledger (which keeps both). Refused (409) "
                                     "when a serial involved has moved since, naming the later document.",
                         responses=error_responses(401, 404, 409, 422))

    if KINDS[kind].generates:
        made = KINDS[KINDS[kind].generates].title.lower()

        def create_stock_document(number: Number_, ctx: AuthPost):
            def work():
                _require_kind(number, kind)
                return document_out(create_stock_document_from_invoice(number, operator=ctx.operator))
            return ctx.write(work, status=201)

        router.add_api_route(
            f"/{path}/{{number}}/stock-document", create_stock_document, methods=["POST"], status_code=201,
            response_model=DocumentOut, tags=[tag], name=f"stock_document_{kind}",
            summary=f"For an invoice saved without stock movement: create its {made} now",
            description=f"Creates the {made} of an invoice saved with `generate_movement: false`, in one "
                        "transaction, as if it had been on. No body.",
            responses=error_responses(401, 404, 409, 422))


for _path, _kind, _create, _update in RESOURCES:
    _add(_path, _kind, _create, _update)
