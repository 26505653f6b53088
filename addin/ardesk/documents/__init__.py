"""Documents that leave the desk: PDFs rendered from records the core made."""
