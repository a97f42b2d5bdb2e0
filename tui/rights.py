"""What the acting user's role lets them do on each screen (store.rights): keys the role cannot use are
hidden (check_action returns False, so the footer, F1 and the palette leave them out), and no form
opens that the store would refuse at save. The store enforces the same rights again on every call."""

from __future__ import annotations

from store.rights import ACTIONS, NEW_DOCUMENT, Acting, forbidden

# screen class -> {its action: the store action it needs}; looked up along the class's bases
SCREEN_ACTIONS: dict[str, dict[str, str]] = {
    "PriceListAgenda": {"new": "items", "delete": "items"},
    "WarehouseAgenda": {"new": "warehouses", "delete": "warehouses"},
    "PartnerAgenda": {"new": "partners", "delete": "partners"},
    "GoodsAgenda": {"new": "receive", "delete": "delete_document"},
    "PurchaseInvoiceAgenda": {"new": "invoice", "delete": "delete_document"},
    "SalesInvoiceAgenda": {"new": "invoice", "delete": "delete_document"},
    "TransferAgenda": {"new": "transfer", "delete": "delete_document"},
    "StockCountAgenda": {"new": "count", "new_of_items": "count", "delete": "count"},
    "ItemDetailScreen": {"toggle_tracking": "tracking", "edit": "items"},
    "SerialStockApp": {"import_excel": "import"},
}

# the DocumentScreen's keys that change the document
DOCUMENT_CHANGES = ("save", "add_line", "remove_line", "header", "toggle_movement", "serials")


def acting(node) -> Acting | None:
    app = getattr(node, "app", node)
    return getattr(app, "acting", None)


def may(node, action: str) -> bool:
    """Whether the app's acting user may do the store ``action`` (everything until it is known: the store
    refuses what it must anyway)."""
    who = acting(node)
    return who is None or who.may(action)


def needed(node, action: str) -> str | None:
    """The store action a screen's (or the app's) action needs, if it needs one."""
    for cls in type(node).__mro__:
        wanted = SCREEN_ACTIONS.get(cls.__name__, {}).get(action)
        if wanted is not None:
            return wanted
    return None


def allowed(node, action: str) -> bool:
    """For check_action: False hides a key the role cannot use."""
    wanted = needed(node, action)
    return wanted is None or may(node, wanted)


def document_action(kind: str | None, saved: bool) -> str:
    """What saving a document needs: a new one by its kind, a saved one edit_document."""
    if saved or kind not in NEW_DOCUMENT:
        return "edit_document"
    return NEW_DOCUMENT[kind]


def refusal(node, action: str) -> str:
    """The sentence the store would refuse ``action`` with, for the status line."""
    return str(forbidden(action, acting(node)))


__all__ = ["ACTIONS", "SCREEN_ACTIONS", "allowed", "document_action", "may", "needed", "refusal"]
