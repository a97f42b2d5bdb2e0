"""The Textual front end. It calls store services only; database work runs in thread workers."""
