"""The panel's pages, one module each; each has `render(ctx)`."""
