"""The diff viewer: its view of a diff, its pages, and the pages in a real browser."""
