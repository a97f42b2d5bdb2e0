"""serialstock: stock tracked by serial number, in the terminal."""
