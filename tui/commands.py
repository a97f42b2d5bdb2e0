"""The command palette reaches every agenda and action."""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

from .app import AGENDAS, NEW_DOCUMENTS


class SerialStockCommands(Provider):
    """The command palette reaches every agenda and action."""

    def _commands(self):
        app = self.app
        for i, (name, _) in enumerate(AGENDAS):
            yield f"Open {name}", partial(app.open_agenda, i), f"The {name} agenda"
        from .rights import document_action, may

        for kind, title in NEW_DOCUMENTS:
            if may(app, document_action(kind, False)):  # only what the operator's role may do
                yield f"New {title}", partial(app.new_document, kind), "Create a document"
        yield f"Lookup a serial, item or EAN ({app.key_of('app.lookup', 'F2')})", app.action_lookup, "Where is this unit?"
        if may(app, "import"):
            yield "Import items and documents from Excel", app.action_import_excel, "All or nothing, every problem listed"
        yield f"Keys of this screen ({app.help_key()})", app.action_help, "What every key does here"
        yield "Menu", app.action_menu, "Back to the menu of agendas"

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield Hit(1.0, name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
