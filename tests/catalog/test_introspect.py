"""`manage.py catalog_introspect` against real databases: a SQLite file, a PostgreSQL schema and
a MariaDB database (the last two on the local servers; skipped where a server is absent)."""

import sqlite3
import tempfile
import uuid
from io import StringIO
from pathlib import Path

import psycopg
import pymysql
from django.core.management import CommandError, call_command
from django.test import TestCase

from catalog.choices import DatasetKind, Status
from catalog.models import Dataset, Field, SourceSystem

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
MYSQL = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": "", "database": "test"}


def introspect(*args: str) -> str:
    out = StringIO()
    call_command("catalog_introspect", "--no-progress", *args, stdout=out)
    return out.getvalue()


class SqliteIntrospectionTests(TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.path = Path(self.tmp.name) / "legacy.db"
        with sqlite3.connect(self.path) as db:
            db.executescript(
                """
                CREATE TABLE Customers (id INTEGER PRIMARY KEY, Email VARCHAR(200) NOT NULL,
                                        birth DATE);
                CREATE VIEW active_customers AS SELECT id, Email FROM Customers;
                """
            )
        self.url = f"sqlite:///{self.path}"

    def test_tables_views_and_columns_are_registered_in_order(self):
        output = introspect("--system", "legacy", "--database-url", self.url, "--create-system")
        self.assertIn("read 2 tables and views", output)
        customers = Dataset.objects.get(system__key="legacy", name="customers")
        self.assertEqual(customers.kind, DatasetKind.TABLE)
        self.assertEqual(
            [(f.name, f.ordinal, f.data_type, f.nullable) for f in customers.fields.all()],
            [
                ("id", 1, "integer", True),
                ("email", 2, "varchar(200)", False),
                ("birth", 3, "date", True),
            ],
        )
        view = Dataset.objects.get(system__key="legacy", name="active_customers")
        self.assertEqual(view.kind, DatasetKind.VIEW)

    def test_rerun_is_idempotent_and_marks_dropped_columns_removed(self):
        introspect("--system", "legacy", "--database-url", self.url, "--create-system")
        output = introspect("--system", "legacy", "--database-url", self.url)
        self.assertIn("unchanged 2 datasets / 5 fields", output)
        with sqlite3.connect(self.path) as db:
            db.executescript("DROP VIEW active_customers; ALTER TABLE Customers DROP COLUMN birth;")
        output = introspect("--system", "legacy", "--database-url", self.url)
        self.assertIn("removed 1 datasets / 3 fields", output)
        self.assertEqual(Field.objects.get(name="birth").status, Status.REMOVED)
        self.assertEqual(Dataset.objects.get(name="active_customers").status, Status.REMOVED)

    def test_unknown_system_without_create_flag_is_a_command_error(self):
        with self.assertRaisesMessage(CommandError, "no system 'legacy'"):
            introspect("--system", "legacy", "--database-url", self.url)
        self.assertFalse(SourceSystem.objects.exists())

    def test_unreachable_database_is_a_command_error_and_writes_nothing(self):
        with self.assertRaisesMessage(CommandError, "nothing imported"):
            introspect(
                "--system", "x", "--create-system",
                "--database-url", "postgres://nobody@127.0.0.1:1/none",
            )  # fmt: skip
        self.assertFalse(SourceSystem.objects.exists())


def _postgres_available() -> bool:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=2).close()
        return True
    except psycopg.Error:
        return False


class PostgresIntrospectionTests(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not _postgres_available():
            cls.skipTest(cls, "no PostgreSQL server on 127.0.0.1:5432")
        cls.schema = f"crm_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {cls.schema}")
            conn.execute(
                f"CREATE TABLE {cls.schema}.contacts (contact_id bigserial PRIMARY KEY, "
                f"email varchar(254) NOT NULL, phone text, created_at timestamptz)"
            )
            conn.execute(
                f"CREATE VIEW {cls.schema}.emails AS SELECT email FROM {cls.schema}.contacts"
            )

    @classmethod
    def tearDownClass(cls):
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {cls.schema} CASCADE")
        super().tearDownClass()

    def test_one_schema_is_registered_with_native_types(self):
        introspect(
            "--system", "crm", "--create-system",
            "--database-url", POSTGRES_URL, "--schema", self.schema,
        )  # fmt: skip
        contacts = Dataset.objects.get(system__key="crm", name=f"{self.schema}.contacts")
        self.assertEqual(
            [(f.name, f.data_type, f.nullable) for f in contacts.fields.all()],
            [
                ("contact_id", "bigint", False),
                ("email", "character varying(254)", False),
                ("phone", "text", True),
                ("created_at", "timestamp with time zone", True),
            ],
        )
        self.assertEqual(Dataset.objects.get(name=f"{self.schema}.emails").kind, DatasetKind.VIEW)
        self.assertEqual(Dataset.objects.filter(system__key="crm").count(), 2)

    def test_missing_schema_is_a_command_error(self):
        with self.assertRaisesMessage(CommandError, "no schema 'nope_nope'"):
            introspect(
                "--system", "crm", "--create-system",
                "--database-url", POSTGRES_URL, "--schema", "nope_nope",
            )  # fmt: skip


def _mysql_available() -> bool:
    try:
        pymysql.connect(**MYSQL, connect_timeout=2).close()
        return True
    except pymysql.Error:
        return False


class MysqlIntrospectionTests(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not _mysql_available():
            cls.skipTest(cls, "no MariaDB/MySQL server on 127.0.0.1:3306")
        cls.table = f"orders_{uuid.uuid4().hex[:8]}"
        conn = pymysql.connect(**MYSQL, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {cls.table} (order_id INT PRIMARY KEY, "
                f"amount DECIMAL(12,2) NOT NULL, note TEXT)"
            )
        conn.close()

    @classmethod
    def tearDownClass(cls):
        conn = pymysql.connect(**MYSQL, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(f"DROP TABLE {cls.table}")
        conn.close()
        super().tearDownClass()

    def test_mysql_tables_are_registered_under_the_database_name(self):
        introspect(
            "--system", "shop", "--create-system",
            "--database-url", "mysql://root@127.0.0.1:3306/test",
        )  # fmt: skip
        dataset = Dataset.objects.get(system__key="shop", name=f"test.{self.table}")
        self.assertEqual(
            [(f.name, f.data_type, f.nullable) for f in dataset.fields.all()],
            [
                ("order_id", "int(11)", False),
                ("amount", "decimal(12,2)", False),
                ("note", "text", True),
            ],
        )
