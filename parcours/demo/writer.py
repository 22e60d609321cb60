"""Bulk writing of generated rows, with ids chosen by the generator.

Rows are plain tuples in the column order declared for each table: building model instances and
letting the ORM compile INSERTs costs ~30 µs a row, too slow for 100,000 people with their
histories (~75 rows each). On PostgreSQL the rows go through COPY (psycopg), in a background
thread on the same connection and transaction so that the server ingests batch n while Python
builds batch n+1; on other databases (the SQLite demo) through one `executemany` per table, plenty
for a few hundred people. Columns the generator does not know (a field added later with a
default) are filled with the field's default, so a new optional field does not break the demo.

Large loads on PostgreSQL (`bulk=True`) drop the secondary indexes, unique and foreign-key
constraints of the generated tables first and recreate them at the end, in the same transaction:
one sort per index and one set-based validation per constraint instead of millions of row-by-row
checks. Recreating them re-validates every row, so nothing is trusted blindly.

Ids are taken from the current maximum of each table while its rows are locked against other
writers (LOCK TABLE on PostgreSQL, the database lock on SQLite), and sequences are moved past them
at the end (`finish`).
"""

import datetime
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, models
from django.utils import timezone

# -- COPY text format -----------------------------------------------------------------------------------

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text_value(value) -> str:
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return value.translate(_ESCAPE)
    if kind is bool:
        return "t" if value else "f"
    if kind is datetime.datetime or kind is datetime.date:
        return value.isoformat()
    return str(value)  # int, Decimal


def copy_text(rows: list[tuple], suffix: str = "") -> bytes:
    """Rows in PostgreSQL's COPY text format; `suffix` is the encoded default columns."""
    end = suffix + "\n"
    return "".join(["\t".join(map(text_value, row)) + end for row in rows]).encode()


_SPECIAL = re.compile(r"[\t\n\r\\]").search


def escape_text(value: str) -> str:
    return value.translate(_ESCAPE) if _SPECIAL(value) else value


@dataclass
class Table:
    model: type[models.Model]
    columns: tuple[str, ...]  # attnames, in the order of the generated tuples
    json_columns: frozenset[str] = frozenset()

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    def formatter(self) -> Callable[[list[tuple], str], str]:
        """A function rows -> COPY text specialised for this table's column types.

        `copy_text` dispatches on the type of every value (~1.5 µs a row); the generator writes
        millions of rows, so this builds, once per table, one f-string per row from the field
        types (dates -> isoformat, booleans -> t/f, nullable -> \\N, free text escaped), about
        3x faster. The result is identical to `copy_text` (checked by the tests)."""
        fields = {f.attname: f for f in self.model._meta.concrete_fields}
        parts = []
        for i, name in enumerate(self.columns):
            f, value = fields[name], f"r[{i}]"
            if isinstance(f, models.BooleanField):
                expression = f"('t' if {value} else 'f')"
            elif isinstance(f, models.DateField):  # DateTimeField included
                expression = f"{value}.isoformat()"
            elif isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.choices:
                expression = f"_escape({value})"
            else:  # integers, foreign keys, decimals, coded choices
                expression = value
            if f.null:
                expression = f"(_NULL if {value} is None else {expression})"
            parts.append(f"{{{expression}}}")
        body = "\\t".join(parts)
        source = f'def format_rows(rows, end):\n    return "".join([f"{body}{{end}}" for r in rows])\n'
        namespace = {"_escape": escape_text, "_NULL": "\\N"}
        exec(compile(source, f"<copy {self.db_table}>", "exec"), namespace)  # noqa: S102 - built from field types only
        return namespace["format_rows"]


class RowWriter:
    def __init__(self, tables: list[Table], *, bulk: bool = False):
        self.tables = {t.model: t for t in tables}
        self.vendor = connection.vendor
        self.bulk = bulk and self.vendor == "postgresql"
        self._copy_sql: dict = {}
        self._extra: dict = {}
        self._fields: dict = {}
        self._insert_sql: dict = {}
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._dropped: list[tuple[str, str]] = []
        quote = connection.ops.quote_name
        for table in tables:
            known = {f.attname: f for f in table.model._meta.concrete_fields}
            unknown = [c for c in table.columns if c not in known]
            if unknown:
                raise ValueError(f"{table.db_table}: colonnes inconnues {unknown}")
            extra_fields = [f for name, f in known.items() if name not in table.columns]
            missing = [
                f.attname
                for f in extra_fields
                if not f.has_default() and not f.null and not getattr(f, "auto_now_add", False)
            ]
            if missing:
                raise ValueError(f"{table.db_table}: colonnes obligatoires non générées {missing}")
            self._extra[table.model] = extra_fields
            names = [*(known[c].column for c in table.columns), *(f.column for f in extra_fields)]
            columns = ", ".join(quote(c) for c in names)
            self._copy_sql[table.model] = f"COPY {quote(table.db_table)} ({columns}) FROM STDIN"
            self._fields[table.model] = [*(known[c] for c in table.columns), *extra_fields]
            placeholders = ", ".join(["%s"] * len(names))
            self._insert_sql[table.model] = f"INSERT INTO {quote(table.db_table)} ({columns}) VALUES ({placeholders})"

    def _extra_values(self, model, *, for_copy: bool) -> tuple:
        values = []
        for f in self._extra[model]:
            if f.has_default():
                value = f.get_default()
            elif getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
                value = timezone.now()
            else:
                value = None
            if for_copy and isinstance(f, models.JSONField) and value is not None:
                value = json.dumps(value)
            values.append(value)
        return tuple(values)

    # -- set-up ---------------------------------------------------------------------------------------

    def lock(self) -> None:
        """Keep other writers out of the tables we number ourselves (reads stay allowed)."""
        if self.vendor != "postgresql":
            return
        names = ", ".join(connection.ops.quote_name(t.db_table) for t in self.tables.values())
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {names} IN SHARE ROW EXCLUSIVE MODE")
            if self.bulk:
                # Altering a table refuses pending deferred checks (rows written earlier in this
                # transaction): run them now; `finish` defers constraints again.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                self._drop_secondary(cursor)

    def next_ids(self) -> dict:
        result = {}
        with connection.cursor() as cursor:
            for model, table in self.tables.items():
                cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table.db_table)}")
                result[model] = (cursor.fetchone()[0] or 0) + 1
        return result

    def _drop_secondary(self, cursor) -> None:
        names = [t.db_table for t in self.tables.values()]
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::text[]::regclass[]) AND c.contype IN ('f', 'u')
              AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid
                              AND c.contype = 'u')
            ORDER BY c.contype DESC, c.conname
            """,
            [names],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::text[]::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                              AND c.contype IN ('p', 'u', 'x'))
            ORDER BY 1
            """,
            [names],
        )
        indexes = cursor.fetchall()
        restore = []
        for table, name, definition, _kind in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
            restore.append(
                (
                    f"constraint {name}",
                    f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}",
                )
            )
        for name, definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
            restore.append((f"index {name}", definition))
        # Recreate indexes and unique constraints before foreign keys.
        self._dropped = sorted(restore, key=lambda item: "FOREIGN KEY" in item[1])

    def _restore_secondary(self, cursor) -> None:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _label, statement in self._dropped:
            cursor.execute(statement)
        self._dropped = []

    # -- writing --------------------------------------------------------------------------------------

    def copy_suffix(self, model) -> str:
        """COPY text of the default columns appended to each generated row of this table."""
        extra = self._extra_values(model, for_copy=True)
        return "".join("\t" + text_value(v) for v in extra)

    def write_batch(self, batch: list[tuple[type[models.Model], list[tuple] | bytes]]) -> None:
        """Write one batch, tables in order: rows as tuples, or (PostgreSQL) as COPY text whose
        rows already end with `copy_suffix`. On PostgreSQL the COPY runs in a background thread:
        the caller may build the next batch meanwhile, but must not use the connection until
        `wait()` (called by the next write_batch and by finish)."""
        self.wait()
        if self.vendor != "postgresql":
            for model, rows in batch:
                self._insert(model, rows)
            return
        raw = connection.connection  # the psycopg connection of this transaction
        copies = [
            (self._copy_sql[m], rows, None if isinstance(rows, bytes) else self._extra_values(m, for_copy=True))
            for m, rows in batch
            if rows
        ]

        def run():
            try:
                with raw.cursor() as cursor:
                    for sql, rows, extra in copies:
                        with cursor.copy(sql) as copy:
                            if extra is None:
                                copy.write(rows)
                                continue
                            write_row = copy.write_row
                            for row in rows:
                                write_row(row + extra)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                self._error = exc

        self._thread = threading.Thread(target=run, name="demo-copy", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def abandon(self) -> None:
        """After a failure: wait for the COPY thread, forgetting its own error if any."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._error = None

    def _insert(self, model, rows: list[tuple]) -> None:
        """Other databases (the SQLite demo): one executemany, values adapted by each field as
        the ORM would (bulk_create would overwrite auto_now_add dates with "now")."""
        if not rows:
            return
        table = self.tables[model]
        extra = self._extra_values(model, for_copy=False)
        fields = self._fields[model]
        json_positions = {i for i, c in enumerate(table.columns) if c in table.json_columns}
        params = []
        for row in rows:
            params.append(
                [
                    f.get_db_prep_save(json.loads(v) if i in json_positions and v is not None else v, connection)
                    for i, (f, v) in enumerate(zip(fields, row + extra, strict=True))
                ]
            )
        with connection.cursor() as cursor:
            cursor.executemany(self._insert_sql[model], params)

    def finish(self) -> None:
        """Wait for the last batch, recreate what bulk mode dropped, move each id sequence past
        the rows we numbered ourselves (SQLite's AUTOINCREMENT follows explicit ids by itself)."""
        self.wait()
        if self.vendor != "postgresql":
            return
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if self.bulk:
                self._restore_secondary(cursor)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in self.tables.values():
                name = table.db_table
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
                    f"FROM {quote(name)}",
                    [quote(name)],
                )
