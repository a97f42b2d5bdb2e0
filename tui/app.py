"""The serialstock terminal app. For now a home screen with a summary of the database;
the agendas and document screens come with the TUI issue."""

from __future__ import annotations

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from store.db import db
from store.summary import Summary, summary


class SerialStockApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "serialstock"
    BINDINGS = [
        Binding("f5", "refresh", "Refresh", id="refresh"),
        Binding("ctrl+q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, operator: str = "operator") -> None:
        super().__init__()
        self.operator = operator
        self.sub_title = operator

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Loading...", id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        self.load_summary()

    @work(thread=True, exclusive=True, group="db")
    def load_summary(self) -> None:
        with db.connection_context():
            s = summary()
        self.call_from_thread(self.show_summary, s)

    def show_summary(self, s: Summary) -> None:
        self.query_one("#summary", Static).update(
            f"Items: {s.items} ({s.tracked_items} tracked)\n"
            f"Warehouses: {s.warehouses}\n"
            f"Documents: {s.documents}\n"
            f"Serials in stock: {s.serials_in_stock}"
        )
