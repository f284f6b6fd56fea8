"""The Whoosh backend (the embedded default beside SQLite): the only package that imports whoosh."""
