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

from catalog.choices import DatasetKind, DescriptionSource, Status
from catalog.models import Dataset, Field, SourceSystem
from catalog.services import bulk_upsert, update_dataset, update_field
from core.audit import Actor
from core.models import ChangeRecord

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

    def test_datasets_of_other_schemas_registered_otherwise_are_not_marked_removed(self):
        introspect("--system", "legacy", "--database-url", self.url, "--create-system")
        system = SourceSystem.objects.get(key="legacy")
        bulk_upsert(Actor.system("manifest"), system, [{"name": "shop.orders"}])
        output = introspect("--system", "legacy", "--database-url", self.url)
        self.assertIn("removed 0 datasets / 0 fields", output)
        self.assertEqual(Dataset.objects.get(name="shop.orders").status, Status.ACTIVE)

    def test_sqlite_has_no_comments_and_a_schema_is_refused(self):
        introspect("--system", "legacy", "--database-url", self.url, "--create-system")
        self.assertEqual(Dataset.objects.get(name="customers").description, "")
        with self.assertRaisesMessage(CommandError, "SQLite has one schema"):
            introspect("--system", "legacy", "--database-url", self.url, "--schema", "main")

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


class MysqlTableTestCase(TestCase):
    """A table of its own in the local MariaDB/MySQL `test` database, made from `CREATE`
    (`{table}` is its name) for the class and dropped after it."""

    CREATE = ""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not _mysql_available():
            cls.skipTest(cls, "no MariaDB/MySQL server on 127.0.0.1:3306")
        cls.table = f"orders_{uuid.uuid4().hex[:8]}"
        conn = pymysql.connect(**MYSQL, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(cls.CREATE.format(table=cls.table))
        conn.close()

    @classmethod
    def tearDownClass(cls):
        conn = pymysql.connect(**MYSQL, autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(f"DROP TABLE {cls.table}")
        conn.close()
        super().tearDownClass()


class MysqlIntrospectionTests(MysqlTableTestCase):
    CREATE = (
        "CREATE TABLE {table} (order_id INT PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, note TEXT)"
    )

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


class PostgresSchemasAndCommentsTests(TestCase):
    """Two schemas of one database registered as one system, and comments as descriptions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not _postgres_available():
            cls.skipTest(cls, "no PostgreSQL server on 127.0.0.1:5432")
        suffix = uuid.uuid4().hex[:8]
        cls.shop, cls.mart = f"shop_{suffix}", f"mart_{suffix}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for schema in (cls.shop, cls.mart):
                conn.execute(f"CREATE SCHEMA {schema}")
            conn.execute(f"CREATE TABLE {cls.shop}.orders (id int, amount numeric(12,2))")
            conn.execute(f"CREATE TABLE {cls.shop}.refunds (id int)")
            conn.execute(f"CREATE TABLE {cls.mart}.daily (day date, total numeric)")

    @classmethod
    def tearDownClass(cls):
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for schema in (cls.shop, cls.mart):
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
        super().tearDownClass()

    def run_sql(self, *statements: str) -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    def introspect(self, *schemas: str) -> str:
        args = [a for s in schemas for a in ("--schema", s)]
        return introspect(
            "--system", "shopdb", "--create-system", "--database-url", POSTGRES_URL, *args
        )

    def names(self, status=Status.ACTIVE) -> set[str]:
        return set(
            Dataset.objects.filter(system__key="shopdb", status=status).values_list(
                "name", flat=True
            )
        )

    def test_introspecting_a_second_schema_leaves_the_first_alone(self):
        self.introspect(self.shop)
        output = self.introspect(self.mart)
        self.assertIn("removed 0 datasets / 0 fields", output)
        self.assertEqual(
            self.names(),
            {f"{self.shop}.orders", f"{self.shop}.refunds", f"{self.mart}.daily"},
        )

    def test_several_schemas_are_read_at_once_and_only_what_left_them_is_removed(self):
        output = self.introspect(self.shop, self.mart)
        self.assertIn("read 3 tables and views", output)
        self.run_sql(f"DROP TABLE {self.shop}.refunds")
        self.addCleanup(self.run_sql, f"CREATE TABLE {self.shop}.refunds (id int)")
        output = self.introspect(self.mart)
        self.assertIn("removed 0 datasets", output)
        output = self.introspect(self.shop)
        self.assertIn("removed 1 datasets / 1 fields", output)
        self.assertEqual(self.names(Status.REMOVED), {f"{self.shop}.refunds"})
        self.assertIn(f"{self.mart}.daily", self.names())

    def test_unqualified_names_need_a_single_schema(self):
        with self.assertRaisesMessage(CommandError, "need a single schema"):
            introspect(
                "--system", "shopdb", "--create-system", "--database-url", POSTGRES_URL,
                "--schema", self.shop, "--schema", self.mart, "--unqualified",
            )  # fmt: skip

    def test_comments_become_descriptions_and_never_replace_what_a_person_wrote(self):
        orders = f"{self.shop}.orders"
        self.run_sql(
            f"COMMENT ON TABLE {orders} IS 'Paid web orders'",
            f"COMMENT ON COLUMN {orders}.amount IS 'Gross, tax included'",
        )
        self.addCleanup(
            self.run_sql,
            f"COMMENT ON TABLE {orders} IS NULL",
            f"COMMENT ON COLUMN {orders}.amount IS NULL",
            f"COMMENT ON COLUMN {orders}.id IS NULL",
        )
        self.introspect(self.shop)
        dataset = Dataset.objects.get(name=orders)
        amount = Field.objects.get(dataset=dataset, name="amount")
        self.assertEqual(
            (dataset.description, dataset.description_source),
            ("Paid web orders", DescriptionSource.COMMENT),
        )
        self.assertEqual(amount.description, "Gross, tax included")
        self.assertEqual(Field.objects.get(dataset=dataset, name="id").description, "")

        # a changed comment follows, audited, while the description still came from one
        self.run_sql(f"COMMENT ON TABLE {orders} IS 'Paid orders of the web shop'")
        self.introspect(self.shop)
        dataset.refresh_from_db()
        self.assertEqual(dataset.description, "Paid orders of the web shop")
        record = ChangeRecord.objects.filter(
            object_type="catalog.dataset", object_id=str(dataset.pk), action="update"
        ).latest("id")
        self.assertEqual(
            (record.before["description"], record.after["description"]),
            ("Paid web orders", "Paid orders of the web shop"),
        )

        # a steward writes the description: later comments no longer replace it
        update_dataset(Actor.system("steward"), dataset, {"description": "Orders paid online"})
        update_field(Actor.system("steward"), amount, {"description": "Amount incl. 5% VAT"})
        self.run_sql(
            f"COMMENT ON TABLE {orders} IS 'Web orders'",
            f"COMMENT ON COLUMN {orders}.amount IS 'Gross'",
            f"COMMENT ON COLUMN {orders}.id IS 'Order number'",
        )
        output = self.introspect(self.shop)
        self.assertIn("kept 2 descriptions written in the catalog", output)
        dataset.refresh_from_db()
        amount.refresh_from_db()
        self.assertEqual(
            (dataset.description, dataset.description_source),
            ("Orders paid online", DescriptionSource.WRITTEN),
        )
        self.assertEqual(amount.description, "Amount incl. 5% VAT")
        self.assertEqual(Field.objects.get(dataset=dataset, name="id").description, "Order number")

        # a comment dropped from the database takes the description it gave with it
        self.run_sql(f"COMMENT ON COLUMN {orders}.id IS NULL")
        self.introspect(self.shop)
        self.assertEqual(Field.objects.get(dataset=dataset, name="id").description, "")


class MysqlCommentsTests(MysqlTableTestCase):
    CREATE = (
        "CREATE TABLE {table} (order_id INT COMMENT 'Order number', amount DECIMAL(12,2)) "
        "COMMENT 'Web orders'"
    )

    def test_mysql_table_and_column_comments_become_descriptions(self):
        introspect(
            "--system", "shop", "--create-system",
            "--database-url", "mysql://root@127.0.0.1:3306/test", "--schema", "test",
        )  # fmt: skip
        dataset = Dataset.objects.get(system__key="shop", name=f"test.{self.table}")
        self.assertEqual(dataset.description, "Web orders")
        self.assertEqual(
            [(f.name, f.description, f.description_source) for f in dataset.fields.all()],
            [
                ("order_id", "Order number", DescriptionSource.COMMENT),
                ("amount", "", DescriptionSource.WRITTEN),
            ],
        )
