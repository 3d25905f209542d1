"""The diff viewer: server-rendered pages under /ui/ and the HTML format of diffs."""
