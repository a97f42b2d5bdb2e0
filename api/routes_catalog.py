"""Items (with the serial-tracking flag), warehouses and partners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from store import agendas, catalog
from store.errors import NotFound

from .deps import MAX_PAGE, Auth, AuthPost, decode_cursor, is_code, page
from .schemas import (
    ItemDetailOut,
    ItemIn,
    ItemOut,
    ItemPage,
    ItemPatch,
    ItemStock,
    PartnerIn,
    PartnerOut,
    PartnerPage,
    PartnerPatch,
    Text,
    WarehouseIn,
    WarehouseOut,
    WarehousePage,
    WarehousePatch,
    dec,
    error_responses,
    item_out,
    money,
)

router = APIRouter()

Code = Annotated[Text, Path(description="the code (URL-encoded)")]
Search = Annotated[Text | None, Query(description="code prefix or part of the name")]
After = Annotated[Text | None, Query(description="the `next` cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]

R_READ = error_responses(401, 404, 422)
R_WRITE = error_responses(401, 404, 409, 422)


# --- items ----------------------------------------------------------------------------------------

@router.get("/items", tags=["items"], response_model=ItemPage, responses=error_responses(401, 422),
            summary="List items in code order")
def list_items(ctx: Auth, search: Search = None, after: After = None, limit: Limit = 100):
    """Items in code order, a page at a time. `search` matches the start of the code, part of the name, or the whole EAN; pass the
    answer's `next` as `?after=` for the next page (null on the last)."""
    def work():
        start = decode_cursor(after, is_code)
        rows, nxt = page(agendas.item_rows(search, after=start, limit=limit + 1), limit, lambda r: r.code)
        return ItemPage(data=[item_out(r) for r in rows], next=nxt)
    return ctx.read(work)


@router.post("/items", tags=["items"], status_code=201, response_model=ItemOut, responses=R_WRITE,
             summary="Create an item")
def create_item(body: ItemIn, ctx: AuthPost):
    """Create an item of the price list. `tracked: true` makes it an item whose every unit carries a serial
    number; `unit` defaults to pcs, `price` to 0. 409 `already_exists` if the code or EAN is taken."""
    return ctx.write(lambda: item_out(catalog.create_item(
        body.code, body.name, unit=body.unit, ean=body.ean, price=0 if body.price is None else body.price,
        tracked=body.tracked)), status=201, request_body=body)


def _item_detail(code: str) -> ItemDetailOut:
    d = agendas.item_detail(code)
    i = d.item
    return ItemDetailOut(code=i.code, name=i.name, unit=i.unit, ean=i.ean, price=money(i.price), tracked=i.tracked,
                         stock=[ItemStock(warehouse=s.warehouse, quantity=dec(s.quantity)) for s in d.stock],
                         serials_in_stock=d.serials_in_stock)


@router.get("/items/{code:path}", tags=["items"], response_model=ItemDetailOut, responses=R_READ,
            summary="One item with its stock per warehouse")
def get_item(code: Code, ctx: Auth):
    """One item by code, with its quantity on hand in each warehouse and how many of its serials are in stock.
    Codes are URL-encoded in the path."""
    return ctx.read(lambda: _item_detail(code))


@router.patch("/items/{code:path}", tags=["items"], response_model=ItemOut, responses=R_WRITE,
              summary="Change an item (fields left out stay as they are)")
def update_item(code: Code, body: ItemPatch, ctx: Auth):
    """Change an item: only the fields sent change (`ean: null` removes the EAN). Tracking can be switched on
    only while the item has no stock, off only while none of its serials is in stock (409 `tracking_locked`)."""
    given = body.model_fields_set
    kwargs = {k: getattr(body, k) for k in ("name", "unit", "price", "tracked") if getattr(body, k) is not None}
    if body.code is not None:
        kwargs["new_code"] = body.code
    if "ean" in given:
        kwargs["ean"] = body.ean
    return ctx.write(lambda: item_out(catalog.update_item(code, **kwargs)))


@router.delete("/items/{code:path}", tags=["items"], status_code=204, responses=R_WRITE,
               summary="Delete an item no document uses")
def delete_item(code: Code, ctx: Auth):
    """Delete an item that no document uses (409 `in_use` otherwise, naming a document)."""
    ctx.read(lambda: catalog.delete_item(code))
    return Response(status_code=204)


# --- warehouses -----------------------------------------------------------------------------------

def _warehouse_out(w, default_id: int | None) -> WarehouseOut:
    return WarehouseOut(code=w.code, name=w.name, default=w.id == default_id)


def _default_id() -> int | None:
    wh = catalog.default_warehouse()
    return wh.id if wh else None


@router.get("/warehouses", tags=["warehouses"], response_model=WarehousePage, responses=error_responses(401, 422),
            summary="List warehouses in code order")
def list_warehouses(ctx: Auth, search: Search = None, after: After = None, limit: Limit = 100):
    """Warehouses in code order, each saying whether it is the default (the warehouse of documents that name
    none). Paged as the other lists."""
    def work():
        start = decode_cursor(after, is_code)
        rows, nxt = page(agendas.warehouse_rows(search, after=start, limit=limit + 1), limit, lambda r: r.code)
        default = _default_id()
        return WarehousePage(data=[_warehouse_out(r, default) for r in rows], next=nxt)
    return ctx.read(work)


@router.post("/warehouses", tags=["warehouses"], status_code=201, response_model=WarehouseOut, responses=R_WRITE,
             summary="Create a warehouse (the first one becomes the default)")
def create_warehouse(body: WarehouseIn, ctx: AuthPost):
    """Create a warehouse; the first one made becomes the default. 409 `already_exists` if the code is taken."""
    def work():
        w = catalog.create_warehouse(body.code, body.name)
        return _warehouse_out(w, _default_id())
    return ctx.write(work, status=201, request_body=body)


def _get_warehouse(code: str):
    if not code.strip():
        raise NotFound("No warehouse with an empty code.", field="warehouse")
    return catalog.get_warehouse(code)


@router.get("/warehouses/{code:path}", tags=["warehouses"], response_model=WarehouseOut, responses=R_READ,
            summary="One warehouse")
def get_warehouse(code: Code, ctx: Auth):
    """One warehouse by code, and whether it is the default."""
    return ctx.read(lambda: _warehouse_out(_get_warehouse(code), _default_id()))


@router.patch("/warehouses/{code:path}", tags=["warehouses"], response_model=WarehouseOut, responses=R_WRITE,
              summary="Rename a warehouse, change its code or make it the default")
def update_warehouse(code: Code, body: WarehousePatch, ctx: Auth):
    """Rename a warehouse, change its code, or make it the default (`default: true`); only the fields sent
    change."""
    def work():
        _get_warehouse(code)
        w = catalog.update_warehouse(code, new_code=body.code, name=body.name, make_default=bool(body.default))
        return _warehouse_out(w, _default_id())
    return ctx.write(work)


@router.delete("/warehouses/{code:path}", tags=["warehouses"], status_code=204, responses=R_WRITE,
               summary="Delete a warehouse with no stock and no documents")
def delete_warehouse(code: Code, ctx: Auth):
    """Delete a warehouse that holds no stock and that no document names (409 `in_use` otherwise)."""
    ctx.read(lambda: (_get_warehouse(code), catalog.delete_warehouse(code)))
    return Response(status_code=204)


# --- partners -------------------------------------------------------------------------------------

def _partner_out(p) -> PartnerOut:
    return PartnerOut(code=p.code, name=p.name)


def _get_partner(code: str):
    p = catalog.get_partner(code)
    if p is None:
        raise NotFound("No partner with an empty code.", field="partner")
    return p


@router.get("/partners", tags=["partners"], response_model=PartnerPage, responses=error_responses(401, 422),
            summary="List partners in code order")
def list_partners(ctx: Auth, search: Search = None, after: After = None, limit: Limit = 100):
    """Partners (suppliers and customers) in code order, paged as the other lists."""
    def work():
        start = decode_cursor(after, is_code)
        rows, nxt = page(agendas.partner_rows(search, after=start, limit=limit + 1), limit, lambda r: r.code)
        return PartnerPage(data=[_partner_out(r) for r in rows], next=nxt)
    return ctx.read(work)


@router.post("/partners", tags=["partners"], status_code=201, response_model=PartnerOut, responses=R_WRITE,
             summary="Create a partner")
def create_partner(body: PartnerIn, ctx: AuthPost):
    """Create a partner, named on documents by its code. 409 `already_exists` if the code is taken."""
    return ctx.write(lambda: _partner_out(catalog.create_partner(body.code, body.name)), status=201,
                     request_body=body)


@router.get("/partners/{code:path}", tags=["partners"], response_model=PartnerOut, responses=R_READ,
            summary="One partner")
def get_partner(code: Code, ctx: Auth):
    """One partner by code."""
    return ctx.read(lambda: _partner_out(_get_partner(code)))


@router.patch("/partners/{code:path}", tags=["partners"], response_model=PartnerOut, responses=R_WRITE,
              summary="Rename a partner or change its code")
def update_partner(code: Code, body: PartnerPatch, ctx: Auth):
    """Rename a partner or change its code; only the fields sent change. Documents keep pointing at it."""
    def work():
        _get_partner(code)
        return _partner_out(catalog.update_partner(code, new_code=body.code, name=body.name))
    return ctx.write(work)


@router.delete("/partners/{code:path}", tags=["partners"], status_code=204, responses=R_WRITE,
               summary="Delete a partner no document names")
def delete_partner(code: Code, ctx: Auth):
    """Delete a partner that no document names (409 `in_use` otherwise)."""
    ctx.read(lambda: (_get_partner(code), catalog.delete_partner(code)))
    return Response(status_code=204)



