"""Tests of the pure SQL lineage parser (lineage.sql) on the .sql fixtures beside this file.

No database: these run as plain pytest functions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlglot import exp

from lineage.sql import extract_lineage, handlers, normalize_dialect

FIXTURES = Path(__file__).parent / "sql"
ROOT = Path(__file__).resolve().parents[2]


def lineage(name: str, dialect: str | None = None, schema: dict | None = None) -> dict:
    return extract_lineage((FIXTURES / name).read_text(), dialect=dialect, schema=schema).to_dict()


def direct(edges: list[dict]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["subtype"]) for e in edges if e["type"] == "DIRECT"}


def indirect(edges: list[dict]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["subtype"]) for e in edges if e["type"] == "INDIRECT"}


def test_insert_select_with_column_list_maps_by_position_and_flags_masking():
    result = lineage("insert_select.sql", "postgres")
    (st,) = result["statements"]
    assert st["kind"] == "insert"
    assert st["line"] == 2  # the leading comment is not the statement
    assert st["tables"] == {"read": ["crm.customers"], "write": ["dw.customer_dim"]}
    assert direct(st["columns"]) == {
        ("crm.customers.id", "dw.customer_dim.customer_id", "IDENTITY"),
        ("crm.customers.email", "dw.customer_dim.email_hash", "TRANSFORMATION"),
        ("crm.customers.first_name", "dw.customer_dim.full_name", "TRANSFORMATION"),
        ("crm.customers.last_name", "dw.customer_dim.full_name", "TRANSFORMATION"),
    }
    assert indirect(st["columns"]) == {
        ("crm.customers.active", f"dw.customer_dim.{c}", "FILTER")
        for c in ("customer_id", "email_hash", "full_name")
    }
    masked = [e for e in st["columns"] if e.get("masking")]
    assert [(e["source"], e["target"]) for e in masked] == [
        ("crm.customers.email", "dw.customer_dim.email_hash")
    ]
    identity = next(e for e in st["columns"] if e["target"] == "dw.customer_dim.customer_id")
    assert identity["expression"] == "c.id"
    assert "masking" not in identity


def test_insert_without_column_list_maps_positionally_onto_known_schema():
    result = lineage("insert_positional.sql", "ansi", {"dw.store": ["store_key", "store_name"]})
    assert direct(result["columns"]) == {
        ("pos.stores.id", "dw.store.store_key", "IDENTITY"),
        ("pos.stores.name", "dw.store.store_name", "TRANSFORMATION"),
    }


def test_insert_overwrite_skips_static_partition_and_keeps_dynamic_one():
    static, dynamic = lineage("insert_overwrite.sql", "hive")["statements"]
    assert static["kind"] == dynamic["kind"] == "insert"
    assert direct(static["columns"]) == {
        ("sales.transactions.store_id", "mart.daily_sales.store_id", "IDENTITY"),
        ("sales.transactions.amount", "mart.daily_sales.total", "AGGREGATION"),
    }
    assert ("sales.transactions.store_id", "mart.daily_sales.total", "GROUP_BY") in indirect(
        static["columns"]
    )
    assert dynamic["line"] == 6
    assert direct(dynamic["columns"]) == {
        ("sales.transactions.store_id", "mart.sales_by_day.store_id", "IDENTITY"),
        ("sales.transactions.amount", "mart.sales_by_day.amount", "IDENTITY"),
        ("sales.transactions.sale_date", "mart.sales_by_day.dt", "IDENTITY"),
    }


def test_create_table_as_select_traces_aggregates_and_count_star():
    (st,) = lineage("ctas.sql", "postgres")["statements"]
    assert st["kind"] == "create_table"
    assert st["tables"] == {"read": ["sales.orders"], "write": ["mart.order_totals"]}
    assert direct(st["columns"]) == {
        ("sales.orders.customer_id", "mart.order_totals.customer_id", "IDENTITY"),
        ("sales.orders.*", "mart.order_totals.orders", "AGGREGATION"),
        ("sales.orders.amount", "mart.order_totals.biggest", "AGGREGATION"),
    }


def test_create_view_reports_join_keys_as_indirect_join_edges():
    (st,) = lineage("create_view.sql", "postgres")["statements"]
    assert st["kind"] == "create_view"
    assert sorted(st["tables"]["read"]) == ["crm.accounts", "crm.customers"]
    assert direct(st["columns"]) == {
        ("crm.customers.id", "mart.v_customers.customer_id", "IDENTITY"),
        ("crm.customers.email", "mart.v_customers.email", "IDENTITY"),
    }
    assert indirect(st["columns"]) == {
        (src, f"mart.v_customers.{tgt}", "JOIN")
        for src in ("crm.customers.id", "crm.accounts.customer_id")
        for tgt in ("customer_id", "email")
    }


def test_select_into_writes_the_new_table():
    (st,) = lineage("select_into.sql", "tsql")["statements"]
    assert st["kind"] == "create_table"
    assert st["tables"] == {"read": ["dbo.orders"], "write": ["dbo.orders_gross"]}
    assert direct(st["columns"]) == {
        ("dbo.orders.id", "dbo.orders_gross.id", "IDENTITY"),
        ("dbo.orders.amount", "dbo.orders_gross.gross", "TRANSFORMATION"),
    }


def test_merge_traces_matched_update_and_not_matched_insert():
    (st,) = lineage("merge.sql", "snowflake")["statements"]
    assert st["kind"] == "merge"
    assert st["tables"] == {"read": ["staging.customers"], "write": ["dw.customers"]}
    assert direct(st["columns"]) == {
        ("staging.customers.email", "dw.customers.email", "IDENTITY"),
        ("staging.customers.id", "dw.customers.id", "IDENTITY"),
    }
    assert ("staging.customers.id", "dw.customers.email", "JOIN") in indirect(st["columns"])


def test_update_from_with_self_reference_keeps_target_write_only():
    (st,) = lineage("update_from.sql", "postgres")["statements"]
    assert st["kind"] == "update"
    assert st["tables"] == {"read": ["staging.order_status"], "write": ["dw.orders"]}
    assert direct(st["columns"]) == {
        ("dw.orders.amount", "dw.orders.amount", "TRANSFORMATION"),
        ("staging.order_status.status", "dw.orders.status", "IDENTITY"),
    }
    assert ("dw.orders.id", "dw.orders.status", "FILTER") in indirect(st["columns"])


def test_mysql_update_join_reads_the_joined_table():
    (st,) = lineage("update_join_mysql.sql", "mysql")["statements"]
    assert st["tables"] == {"read": ["customers"], "write": ["orders"]}
    assert direct(st["columns"]) == {("customers.segment", "orders.segment", "IDENTITY")}


def test_delete_drop_and_rename_have_no_lineage_but_report_drops_and_renames():
    delete, drop, rename = lineage("delete_drop_rename.sql", "postgres")["statements"]
    assert (delete["kind"], drop["kind"], rename["kind"]) == ("delete", "drop", "rename")
    assert delete["tables"] == {"read": [], "write": []}
    assert drop["drops"] == ["dw.orders_old"]
    assert rename["renames"] == [["dw.orders", "dw.orders_old"]]
    assert [s["line"] for s in (delete, drop, rename)] == [1, 2, 3]


def test_snowflake_swap_with_reads_the_other_table():
    (st,) = lineage("swap.sql", "snowflake")["statements"]
    assert st["tables"] == {"read": ["dw.orders_staging"], "write": ["dw.orders"]}


def test_cte_chain_with_union_reaches_every_branch():
    (st,) = lineage("cte_union.sql", "ansi")["statements"]
    assert sorted(st["tables"]["read"]) == ["shop.app_orders", "shop.web_orders"]
    assert direct(st["columns"]) == {
        ("shop.web_orders.customer_id", "mart.customer_totals.customer_id", "IDENTITY"),
        ("shop.app_orders.customer_id", "mart.customer_totals.customer_id", "IDENTITY"),
        ("shop.web_orders.amount", "mart.customer_totals.total", "AGGREGATION"),
        ("shop.app_orders.amount", "mart.customer_totals.total", "AGGREGATION"),
    }


def test_case_and_window_through_a_derived_table_are_conditional_and_window_edges():
    (st,) = lineage("subquery_case_window.sql", "spark")["statements"]
    assert direct(st["columns"]) == {("sales.transactions.id", "mart.ranked.id", "IDENTITY")}
    assert indirect(st["columns"]) == {
        ("sales.transactions.amount", "mart.ranked.size", "CONDITIONAL"),
        ("sales.transactions.amount", "mart.ranked.rnk", "WINDOW"),
        ("sales.transactions.store_id", "mart.ranked.rnk", "WINDOW"),
    }


def test_alias_star_is_expanded_through_a_cte_when_the_schema_is_known():
    schema = {"sales.orders": ["id", "order_date", "amount"]}
    (st,) = lineage("star_schema.sql", "ansi", schema)["statements"]
    assert direct(st["columns"]) == {
        (f"sales.orders.{c}", f"mart.recent_orders.{c}", "IDENTITY")
        for c in ("id", "order_date", "amount")
    }


def test_star_without_schema_is_table_star_to_table_star():
    (st,) = lineage("star_noschema.sql", "ansi")["statements"]
    assert direct(st["columns"]) == {("sales.orders.*", "mart.copy.*", "IDENTITY")}


def test_lateral_view_column_comes_from_the_exploded_array():
    (st,) = lineage("lateral_view.sql", "hive")["statements"]
    assert direct(st["columns"]) == {
        ("shop.products.id", "mart.tags.id", "IDENTITY"),
        ("shop.products.tags", "mart.tags.tag", "TRANSFORMATION"),
    }


def test_temp_tables_are_collapsed_in_the_script_union():
    result = lineage("temp_tables.sql", "tsql")
    first, second, drop = result["statements"]
    assert first["tables"]["write"] == ["#recent"]
    assert second["tables"]["read"] == ["#recent"]
    assert drop["drops"] == ["#recent"]
    assert result["tables"] == {"read": ["crm.customers"], "write": ["dw.recent_customers"]}
    assert direct(result["columns"]) == {
        ("crm.customers.id", "dw.recent_customers.id", "IDENTITY"),
        ("crm.customers.email", "dw.recent_customers.email_hash", "TRANSFORMATION"),
    }
    hashed = [e for e in result["columns"] if e["target"].endswith("email_hash")]
    assert any(e.get("masking") for e in hashed)


def test_tsql_procedure_body_is_analysed_statement_by_statement():
    (st,) = lineage("procedure_tsql.sql", "tsql")["statements"]
    assert st["error"] is None
    assert st["tables"] == {"read": ["staging.orders"], "write": ["dw.orders"]}
    assert direct(st["columns"]) == {
        ("staging.orders.id", "dw.orders.id", "IDENTITY"),
        ("staging.orders.amount", "dw.orders.amount", "IDENTITY"),
    }


def test_bigquery_scripting_procedure_body_is_analysed():
    (st,) = lineage("procedure_bigquery.sql", "bigquery")["statements"]
    assert st["tables"] == {"read": ["raw.sales"], "write": ["mart.daily"]}
    assert direct(st["columns"]) == {
        ("raw.sales.day", "mart.daily.day", "IDENTITY"),
        ("raw.sales.amount", "mart.daily.total", "AGGREGATION"),
    }


def test_plpgsql_do_block_is_analysed():
    (st,) = lineage("plpgsql_block.sql", "postgres")["statements"]
    assert direct(st["columns"]) == {
        ("staging.audit.id", "dw.audit.id", "IDENTITY"),
        ("staging.audit.note", "dw.audit.note", "IDENTITY"),
    }


def test_bad_sql_reports_the_line_and_keeps_table_lineage_without_raising():
    ok, broken = lineage("bad.sql", "postgres")["statements"]
    assert ok["error"] is None
    assert direct(ok["columns"]) == {("crm.a.id", "dw.ok.id", "IDENTITY")}
    assert broken["line"] == 3
    assert broken["error"]["line"] == 4
    assert isinstance(broken["error"]["column"], int)
    assert broken["error"]["message"]
    assert broken["tables"] == {"read": ["crm.b"], "write": ["dw.broken"]}


def test_garbage_input_never_raises():
    for sql in ("", ";;;", "SELEC FROM WHERE", "INSERT INTO", "((((", "\x00\x01", "'unterminated"):
        result = extract_lineage(sql, dialect="postgres").to_dict()
        assert set(result) == {"statements", "tables", "columns"}


def test_to_dict_has_exactly_the_documented_shape():
    result = lineage("insert_select.sql", "postgres")
    assert set(result) == {"statements", "tables", "columns"}
    (st,) = result["statements"]
    assert set(st) == {
        "index", "line", "kind", "tables", "columns", "renames", "drops", "error",
    }  # fmt: skip
    assert set(st["tables"]) == {"read", "write"}
    for edge in st["columns"]:
        assert set(edge) - {"masking"} == {"source", "target", "type", "subtype", "expression"}
        assert edge["type"] in {"DIRECT", "INDIRECT"}
    assert result["tables"] == {"read": ["crm.customers"], "write": ["dw.customer_dim"]}
    assert len(result["columns"]) == len(st["columns"])


def test_dialect_aliases_map_onto_sqlglot_dialects():
    assert normalize_dialect("ansi") is None
    assert normalize_dialect(None) is None
    assert normalize_dialect("sparksql") == "spark"
    assert normalize_dialect("SparkSQL") == "spark"
    assert normalize_dialect("mariadb") == "mysql"
    assert normalize_dialect("greenplum") == "postgres"
    assert normalize_dialect("no-such-dialect") is None
    sql = "INSERT INTO t SELECT `a` FROM s"
    for dialect in ("sparksql", "databricks", "hive"):
        got = extract_lineage(sql, dialect=dialect).to_dict()
        assert direct(got["columns"]) == {("s.a", "t.a", "IDENTITY")}


def test_a_statement_over_its_time_budget_is_reported_and_the_script_goes_on():
    slow = "INSERT INTO t SELECT " + ", ".join(
        f"CASE WHEN a{i} > 1 THEN b{i} ELSE c{i} END AS x{i}" for i in range(300)
    )
    sql = slow + " FROM s;\nINSERT INTO u SELECT id FROM v;"
    result = extract_lineage(sql, timeout=0.001).to_dict()
    first, second = result["statements"]
    assert "timed out" in first["error"]["message"]
    assert first["error"]["line"] == 1
    assert first["tables"] == {"read": ["s"], "write": ["t"]}  # from the fallback
    assert second["line"] == 2


def test_timeout_also_works_outside_the_main_thread():
    slow = "INSERT INTO t SELECT " + ", ".join(f"a{i} + b{i} AS x{i}" for i in range(300))
    out = []
    worker = threading.Thread(target=lambda: out.append(extract_lineage(slow, timeout=0.001)))
    worker.start()
    worker.join(30)
    assert "timed out" in out[0].statements[0].error["message"]


def test_progress_hears_the_statement_count_then_each_statement_done():
    heard = []
    sql = "INSERT INTO t SELECT a FROM s;\nSELEC oops;\nINSERT INTO u SELECT b FROM t;"
    result = extract_lineage(sql, progress=lambda done, total: heard.append((done, total)))
    assert heard == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert [bool(st.error) for st in result.statements] == [False, True, False]


def test_an_exception_raised_by_progress_stops_the_parse_and_reaches_the_caller():
    class Enough(Exception):
        pass

    heard = []

    def progress(done, total):
        heard.append(done)
        if done == 1:
            raise Enough

    with pytest.raises(Enough):
        extract_lineage("SELECT a FROM s; SELECT b FROM t; SELECT c FROM u;", progress=progress)
    assert heard == [0, 1]


def test_importing_the_parser_does_not_import_django():
    modules = sorted(p.stem for p in (ROOT / "lineage/sql").glob("*.py") if p.stem != "__init__")
    code = "import sys, lineage.sql\n"
    code += "".join(f"import lineage.sql.{m}\n" for m in modules)
    code += "assert 'django' not in sys.modules, 'django imported'\n"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=env)


NOT_A_STATEMENT = "does not start a SQL statement (expected SELECT, INSERT, CREATE, ...)"


def test_a_first_word_that_is_no_statement_keyword_is_an_error():
    for sql, word in [
        ("SELEC oops", "SELEC"),
        ("garbage garbage", "garbage"),
        ("garbage", "garbage"),
        ("INSRT INTO dw.t SELECT a FROM s", "INSRT"),
        ("'just a string'", "just a string"),
    ]:
        for dialect in (None, "postgres", "tsql", "spark", "snowflake", "hive"):
            (st,) = extract_lineage(sql, dialect=dialect).to_dict()["statements"]
            assert st["error"] == {
                "message": f"{word!r} {NOT_A_STATEMENT}",
                "line": 1,
                "column": 1,
            }, (sql, dialect)
            assert st["kind"] == "other"
            assert st["tables"] == {"read": [], "write": []}
            assert st["columns"] == []


def test_the_error_points_at_the_bad_statement_among_good_ones():
    sql = "INSERT INTO dw.t (a) SELECT a FROM s;\n\n  -- note\n  SELEC oops;\nSELECT 1;"
    result = extract_lineage(sql, dialect="postgres").to_dict()
    assert [s["error"] for s in result["statements"]] == [
        None,
        {"message": f"'SELEC' {NOT_A_STATEMENT}", "line": 4, "column": 3},
        None,
    ]
    assert result["tables"] == {"read": ["s"], "write": ["dw.t"]}


def test_legitimate_statements_are_not_mistaken_for_garbage():
    cases = {
        None: ["USE db", "SET x = 1", "SHOW TABLES", "CALL p()", "GRANT SELECT ON t TO u",
               "VACUUM t", "ANALYZE t", "COPY t FROM 's3://b/x'", "START TRANSACTION",
               "COMMIT", "EXPLAIN SELECT 1", "TRUNCATE TABLE t", "VALUES (1)", "(SELECT 1)",
               "WITH a AS (SELECT 1 AS x) INSERT INTO t SELECT x FROM a", "DISCARD ALL",
               "RESET x", "CHECKPOINT", "LOCK TABLES t WRITE", "UNLOCK TABLES"],
        "spark": ["ADD JAR /tmp/x.jar", "REFRESH TABLE t", "CACHE TABLE t AS SELECT 1",
                  "UNCACHE TABLE t", "MSCK REPAIR TABLE t",
                  "LOAD DATA INPATH '/x' INTO TABLE t", "DESCRIBE t", "OPTIMIZE t"],
        "hive": ["MSCK REPAIR TABLE t", "ADD JAR /tmp/x.jar",
                 "FROM s INSERT INTO TABLE t SELECT a"],
        "tsql": ["EXEC dbo.load_customers", "DECLARE @x INT", "PRINT 'x'",
                 "BEGIN\n  INSERT INTO t (a) SELECT a FROM s;\nEND", "sp_rename 'a', 'b'",
                 "RAISERROR('x', 16, 1)", "WAITFOR DELAY '00:00:01'"],
        "redshift": ["UNLOAD ('select * from s') TO 's3://b/x'", "VACUUM t", "ANALYZE t"],
        "snowflake": ["PUT file:///tmp/x @stage", "LIST @stage", "REMOVE @stage",
                      "ALTER TABLE a SWAP WITH b"],
        "postgres": ["LISTEN x", "NOTIFY x", "CLUSTER t", "DO $$ BEGIN INSERT INTO t SELECT 1; "
                     "END $$", "DEALLOCATE x", "REINDEX TABLE t"],
        "mysql": ["LOAD DATA INFILE '/x' INTO TABLE t", "REPLACE INTO t SELECT a FROM s"],
    }  # fmt: skip
    for dialect, statements in cases.items():
        for sql in statements:
            for st in extract_lineage(sql, dialect=dialect).to_dict()["statements"]:
                error = st["error"] or {}
                assert NOT_A_STATEMENT not in error.get("message", ""), (dialect, sql, error)


def test_order_by_an_output_name_or_position_sorts_by_that_projections_sources():
    (st,) = lineage("order_by_output.sql", "postgres")["statements"]
    sort = {(src, tgt) for src, tgt, sub in indirect(st["columns"]) if sub == "SORT"}
    assert sort == {
        (src, f"mart.top_stores.{tgt}")
        for src in ("sales.transactions.amount", "pos.stores.name")
        for tgt in ("store", "revenue")
    }


def test_a_name_in_a_select_without_from_is_no_source_column():
    (st,) = lineage("no_from.sql", "postgres")["statements"]
    assert st["tables"] == {"read": [], "write": ["audit.load_log"]}
    assert st["columns"] == []


def test_a_lateral_subquery_feeds_the_columns_it_projects():
    (st,) = lineage("lateral_join.sql", "postgres")["statements"]
    assert direct(st["columns"]) == {
        ("shop.orders.id", "mart.order_skus.id", "IDENTITY"),
        ("shop.lines.sku", "mart.order_skus.sku", "IDENTITY"),
    }
    assert ("shop.lines.order_id", "mart.order_skus.sku", "FILTER") in indirect(st["columns"])


def test_a_scalar_subquerys_filter_feeds_only_its_column_and_an_in_subquery_filters_all():
    (st,) = lineage("subquery_filters.sql", "postgres")["statements"]
    assert direct(st["columns"]) == {
        ("shop.orders.id", "mart.paid_orders.id", "IDENTITY"),
        ("shop.payments.amount", "mart.paid_orders.paid", "AGGREGATION"),
    }
    assert indirect(st["columns"]) == {
        ("shop.orders.id", "mart.paid_orders.id", "FILTER"),
        ("shop.orders.id", "mart.paid_orders.paid", "FILTER"),
        ("shop.refunds.order_id", "mart.paid_orders.id", "FILTER"),
        ("shop.refunds.order_id", "mart.paid_orders.paid", "FILTER"),
        ("shop.payments.order_id", "mart.paid_orders.paid", "FILTER"),
    }


def test_each_union_branch_edge_shows_its_own_expression():
    (st,) = lineage("union_expressions.sql", "postgres")["statements"]
    got = {(e["source"], e["target"], e["expression"]) for e in st["columns"]}
    assert got == {
        ("crm.web_signups.id", "crm.contacts.id", "id"),
        ("crm.store_signups.cid", "crm.contacts.id", "cid"),
        ("crm.web_signups.email", "crm.contacts.email", "email"),
        ("crm.store_signups.mail", "crm.contacts.email", "LOWER(mail)"),
    }


# ---------------------------------------------------------------------- plain SELECT: <query>
def edges(edge_list: list[dict]) -> set[tuple[str, str, str, str]]:
    return {(e["source"], e["target"], e["type"], e["subtype"]) for e in edge_list}


def query_lineage(name: str, dialect: str = "postgres", schema: dict | None = None) -> dict:
    """A SELECT-only fixture: nothing written, `<query>` never listed as a table."""
    result = lineage(name, dialect, schema)
    for st in result["statements"]:
        assert st["kind"] == "select" and st["error"] is None
        assert st["tables"]["write"] == []
        assert all(e["target"].startswith("<query>.") for e in st["columns"])
    assert result["tables"]["write"] == []
    assert "<query>" not in result["tables"]["read"]
    return result


def test_a_plain_select_feeds_the_query_pseudo_table():
    result = extract_lineage("SELECT c.email FROM crm.customers c", dialect="postgres").to_dict()
    (st,) = result["statements"]
    assert st["kind"] == "select"
    assert st["tables"] == {"read": ["crm.customers"], "write": []}
    assert st["columns"] == [
        {
            "source": "crm.customers.email",
            "target": "<query>.email",
            "type": "DIRECT",
            "subtype": "IDENTITY",
            "expression": "c.email",
        }
    ]
    assert result["columns"] == st["columns"]


def test_query_columns_are_named_by_alias_column_or_as_sqlglot_names_them():
    (st,) = query_lineage("select_columns.sql")["statements"]
    names = ("customer_id", "email", "_col_2", "phone_hash", "signup_at", "42")
    assert edges(st["columns"]) == {
        ("crm.customers.id", "<query>.customer_id", "DIRECT", "IDENTITY"),
        ("crm.customers.email", "<query>.email", "DIRECT", "IDENTITY"),
        ("crm.customers.name", "<query>._col_2", "DIRECT", "TRANSFORMATION"),
        ("crm.customers.phone", "<query>.phone_hash", "DIRECT", "TRANSFORMATION"),
        ("crm.customers.signup_at", "<query>.signup_at", "DIRECT", "TRANSFORMATION"),
    } | {("crm.customers.active", f"<query>.{n}", "INDIRECT", "FILTER") for n in names}
    masked = {(e["source"], e["target"]) for e in st["columns"] if e.get("masking")}
    assert masked == {("crm.customers.phone", "<query>.phone_hash")}


def test_query_through_a_cte_with_join_group_by_having_and_order_by():
    (st,) = query_lineage("select_cte_join.sql")["statements"]
    assert sorted(st["tables"]["read"]) == ["crm.customers", "shop.orders"]
    every = {
        ("shop.orders.created_at", "FILTER"),
        ("shop.orders.amount", "FILTER"),  # HAVING
        ("shop.orders.customer_id", "JOIN"),
        ("crm.customers.id", "JOIN"),
        ("crm.customers.email", "GROUP_BY"),
        ("shop.orders.amount", "SORT"),  # ORDER BY total
    }
    assert edges(st["columns"]) == {
        ("crm.customers.email", "<query>.email", "DIRECT", "IDENTITY"),
        ("shop.orders.amount", "<query>.total", "DIRECT", "AGGREGATION"),
    } | {(src, f"<query>.{t}", "INDIRECT", sub) for src, sub in every for t in ("email", "total")}


def test_query_over_a_self_join_keeps_both_roles_of_the_table():
    (st,) = query_lineage("select_self_join.sql")["statements"]
    assert st["tables"]["read"] == ["hr.employees"]
    assert edges(st["columns"]) == {
        ("hr.employees.name", "<query>.name", "DIRECT", "IDENTITY"),
        ("hr.employees.name", "<query>.manager", "DIRECT", "IDENTITY"),
    } | {
        (src, f"<query>.{t}", "INDIRECT", "JOIN")
        for src in ("hr.employees.id", "hr.employees.manager_id")
        for t in ("name", "manager")
    }


def test_query_with_derived_table_scalar_and_in_subqueries():
    (st,) = query_lineage("select_subqueries.sql")["statements"]
    assert edges(st["columns"]) == {
        ("shop.orders.id", "<query>.id", "DIRECT", "IDENTITY"),
        ("shop.payments.amount", "<query>.paid", "DIRECT", "AGGREGATION"),
        # the scalar subquery's correlation filters only its own column
        ("shop.payments.order_id", "<query>.paid", "INDIRECT", "FILTER"),
    } | {
        (src, f"<query>.{t}", "INDIRECT", "FILTER")
        for src in ("shop.orders.id", "shop.orders.status", "shop.refunds.order_id")
        for t in ("id", "paid")
    }


def test_query_case_and_window_columns_are_conditional_and_window_edges():
    (st,) = query_lineage("select_case_window.sql")["statements"]
    assert edges(st["columns"]) == {
        ("sales.transactions.id", "<query>.id", "DIRECT", "IDENTITY"),
        ("sales.transactions.size", "<query>.size", "DIRECT", "TRANSFORMATION"),
        ("sales.transactions.amount", "<query>.size", "INDIRECT", "CONDITIONAL"),
        ("sales.transactions.amount", "<query>.running", "DIRECT", "AGGREGATION"),
        ("sales.transactions.store_id", "<query>.running", "INDIRECT", "WINDOW"),
        ("sales.transactions.sold_at", "<query>.running", "INDIRECT", "WINDOW"),
    }


def test_query_through_a_lateral_join_and_a_lateral_view():
    (st,) = query_lineage("select_lateral.sql")["statements"]
    assert edges(st["columns"]) == {
        ("shop.orders.id", "<query>.id", "DIRECT", "IDENTITY"),
        ("shop.lines.sku", "<query>.sku", "DIRECT", "IDENTITY"),
    } | {
        (src, f"<query>.{t}", "INDIRECT", "FILTER")
        for src in ("shop.orders.id", "shop.lines.order_id")
        for t in ("id", "sku")
    }
    (st,) = query_lineage("select_lateral_view.sql", "hive")["statements"]
    assert edges(st["columns"]) == {
        ("shop.products.id", "<query>.id", "DIRECT", "IDENTITY"),
        ("shop.products.tags", "<query>.tag", "DIRECT", "TRANSFORMATION"),
    }


def test_query_union_maps_branches_by_position_onto_the_first_branchs_names():
    (st,) = query_lineage("select_union.sql")["statements"]
    assert edges(st["columns"]) == {
        ("crm.web_signups.id", "<query>.id", "DIRECT", "IDENTITY"),
        ("crm.store_signups.cid", "<query>.id", "DIRECT", "IDENTITY"),
        ("loyalty.members.member_id", "<query>.id", "DIRECT", "IDENTITY"),
        ("crm.web_signups.email", "<query>.email", "DIRECT", "IDENTITY"),
        ("crm.store_signups.mail", "<query>.email", "DIRECT", "TRANSFORMATION"),
        ("loyalty.members.email", "<query>.email", "DIRECT", "IDENTITY"),
    }


def test_query_star_is_table_star_without_schema_and_expanded_with_one():
    plain, joined = query_lineage("select_star.sql")["statements"]
    assert edges(plain["columns"]) == {("sales.orders.*", "<query>.*", "DIRECT", "IDENTITY")}
    join = {(src, "INDIRECT", "JOIN") for src in ("sales.orders.customer_id", "crm.customers.id")}
    assert edges(joined["columns"]) == {
        ("sales.orders.*", "<query>.*", "DIRECT", "IDENTITY"),
        ("crm.customers.email", "<query>.email", "DIRECT", "IDENTITY"),
    } | {(src, f"<query>.{t}", typ, sub) for src, typ, sub in join for t in ("*", "email")}

    schema = {"sales.orders": ["id", "customer_id", "amount"]}
    plain, joined = query_lineage("select_star.sql", schema=schema)["statements"]
    columns = ("id", "customer_id", "amount")
    assert edges(plain["columns"]) == {
        (f"sales.orders.{c}", f"<query>.{c}", "DIRECT", "IDENTITY") for c in columns
    }
    assert edges(joined["columns"]) == {
        (f"sales.orders.{c}", f"<query>.{c}", "DIRECT", "IDENTITY") for c in columns
    } | {("crm.customers.email", "<query>.email", "DIRECT", "IDENTITY")} | {
        (src, f"<query>.{t}", typ, sub) for src, typ, sub in join for t in (*columns, "email")
    }


def test_a_query_without_source_columns_has_no_column_lineage():
    result = query_lineage("select_no_source.sql")
    assert [st["columns"] for st in result["statements"]] == [[], []]
    assert result["tables"] == {"read": [], "write": []}
    assert result["columns"] == []


def test_select_into_ctas_and_insert_select_do_not_feed_the_query_pseudo_table():
    writers = {"select_into.sql": "tsql", "ctas.sql": "postgres", "insert_select.sql": None}
    for name, dialect in writers.items():
        result = lineage(name, dialect)
        assert not [e for e in result["columns"] if e["target"].startswith("<query>.")], name
        assert result["tables"]["write"], name


# ---------------------------------------------------------------------- temp tables and *
def assert_gone(result: dict, *tables: str) -> None:
    """None of ``tables`` is in the script's tables or columns."""
    listed = set(result["tables"]["read"]) | set(result["tables"]["write"])
    for e in result["columns"]:
        listed |= {e["source"].rsplit(".", 1)[0], e["target"].rsplit(".", 1)[0]}
    assert not listed & set(tables), listed & set(tables)


def test_count_star_over_a_temp_table_counts_the_rows_of_its_sources():
    result = lineage("temp_count_star.sql", "postgres")
    assert_gone(result, "tmp_x")
    assert result["tables"] == {"read": ["shop.orders"], "write": ["mart.t"]}
    assert edges(result["columns"]) == {
        ("shop.orders.*", "mart.t.n", "DIRECT", "AGGREGATION"),
        ("shop.orders.status", "mart.t.n", "INDIRECT", "FILTER"),
    }


def test_star_through_a_temp_table_passes_the_sources_columns_on_by_name():
    result = lineage("temp_star.sql", "postgres")
    assert_gone(result, "paid")
    assert edges(result["columns"]) == {
        ("shop.orders.*", "mart.paid_orders.*", "DIRECT", "IDENTITY"),
        ("shop.orders.status", "mart.paid_orders.*", "INDIRECT", "FILTER"),
        ("shop.orders.id", "mart.paid_ids.id", "DIRECT", "IDENTITY"),
        ("shop.orders.status", "mart.paid_ids.id", "INDIRECT", "FILTER"),
    }


def test_tsql_hash_temp_table_filled_by_select_star_into():
    result = lineage("temp_tsql_star.sql", "tsql")
    assert_gone(result, "#orders")
    assert result["tables"] == {"read": ["shop.orders"], "write": ["mart.order_count"]}
    assert edges(result["columns"]) == {
        ("shop.orders.*", "mart.order_count.n", "DIRECT", "AGGREGATION")
    }


def test_a_table_created_and_dropped_by_the_script_is_collapsed_like_a_temp_table():
    result = lineage("created_and_dropped.sql", "postgres")
    assert_gone(result, "work.step")
    # dropped before it is created: the script rebuilds it, and it stays
    assert result["tables"] == {
        "read": ["shop.orders"],
        "write": ["mart.totals", "work.kept"],
    }
    assert edges(result["columns"]) == {
        ("shop.orders.id", "work.kept.id", "DIRECT", "IDENTITY"),
        ("shop.orders.amount", "work.kept.amount", "DIRECT", "IDENTITY"),
        ("shop.orders.id", "mart.totals.id", "DIRECT", "IDENTITY"),
        ("shop.orders.amount", "mart.totals.total", "DIRECT", "TRANSFORMATION"),
    }
    assert result["statements"][2]["tables"]["read"] == ["work.step"]  # statements keep it


def test_a_temp_table_of_constants_leaves_no_column_of_its_own():
    result = lineage("temp_constants.sql", "postgres")
    assert_gone(result, "wanted")
    assert edges(result["columns"]) == {
        ("shop.orders.amount", "mart.some_orders.amount", "DIRECT", "IDENTITY"),
        ("shop.orders.id", "mart.some_orders.amount", "INDIRECT", "JOIN"),
    }


def test_tsql_database_dot_dot_table_keeps_its_name_as_written():
    (st,) = lineage("tsql_default_schema.sql", "tsql")["statements"]
    assert st["error"] is None
    assert st["tables"] == {"read": ["staging..orders"], "write": ["dw..orders"]}
    assert direct(st["columns"]) == {("staging..orders.id", "dw..orders.id", "IDENTITY")}


def test_an_unclosed_parenthesis_does_not_swallow_the_statements_after_it():
    broken, following, last = lineage("unclosed_paren.sql", "postgres")["statements"]
    assert broken["error"]["line"] == 1
    assert (following["line"], following["error"], last["line"], last["error"]) == (
        2,
        None,
        3,
        None,
    )
    assert direct(following["columns"] + last["columns"]) == {
        ("crm.c.id", "dw.next.id", "IDENTITY"),
        ("crm.d.id", "dw.last.id", "IDENTITY"),
    }


# ---------------------------------------------------------------------- errors in words
def test_parse_errors_are_told_in_words_at_the_line_and_column_of_the_offending_token():
    statements = lineage("parse_errors.sql", "postgres")["statements"]
    errors = [(s["line"], s["error"]) for s in statements]
    assert errors == [
        (2, error("Expected table name but got WHERE", 2, 15)),
        (3, error("Incomplete expression: '>' needs a value on each side", 4, 26)),
        (5, error("Unexpected x", 5, 23)),
        (6, error("Incomplete MERGE (no WHEN clause) near id", 6, 37)),
        (7, error("Unterminated string starting at line 7, column 32 (no closing ')", 7, 32)),
    ]
    # an unclosed parenthesis does not swallow the statements after it
    assert [s["tables"] for s in statements[1:]] == [
        {"read": ["s"], "write": ["dw.x"]},
        {"read": ["t"], "write": []},
        {"read": ["s"], "write": ["dw.t"]},
        {"read": ["s"], "write": ["dw.y"]},
    ]


def error(text: str, line: int, column: int) -> dict:
    if not text.startswith("Unterminated"):
        text = f"{text} at line {line}, column {column}"
    return {"message": text, "line": line, "column": column}


def test_an_error_inside_a_procedure_body_is_placed_in_the_script():
    (st,) = lineage("procedure_error.sql", "tsql")["statements"]
    assert st["error"] == error("Incomplete expression: '=' needs a value on each side", 4, 61)
    assert st["tables"] == {"read": ["staging.a", "staging.b"], "write": ["dw.a", "dw.b"]}


def test_no_error_message_shows_the_parsers_internals():
    noise = ["WHERE", ")", "(", ",", "SELECT", "ON", "=", "'", '"', "GROUP BY", "AS", "..", "END"]
    seen = 0
    for i, path in enumerate(sorted(FIXTURES.glob("*.sql"))):
        sql = path.read_text()
        for j, word in enumerate(noise):
            at = (i * 37 + j * 101) % (len(sql) + 1)
            broken = f"{sql[:at]} {word} {sql[at:]}"
            for dialect in ("postgres", "tsql"):
                for st in extract_lineage(broken, dialect=dialect).to_dict()["statements"]:
                    err = st["error"]
                    if err is None:
                        continue
                    seen += 1
                    assert isinstance(err["line"], int) and err["line"] >= 1, err
                    assert isinstance(err["column"], int) and err["column"] >= 1, err
                    for internal in ("<Token", "TokenType", "<class", "sqlglot", "Error:"):
                        assert internal not in err["message"], (broken, err)
    assert seen > 100


def test_a_failure_of_the_analysis_itself_is_reported_and_keeps_table_lineage(monkeypatch):
    def broken(session, tree, st):
        raise KeyError("boom")

    monkeypatch.setitem(handlers.HANDLERS, exp.Insert, broken)
    (st,) = extract_lineage("INSERT INTO dw.t (a) SELECT a FROM s", "postgres").to_dict()[
        "statements"
    ]
    assert st["error"] == {
        "message": "Could not analyse this statement (internal error: KeyError: 'boom')",
        "line": 1,
        "column": 1,
    }
    assert st["tables"] == {"read": ["s"], "write": ["dw.t"]}


def test_a_temp_table_with_clauses_sqlglot_does_not_read_is_still_collapsed():
    # ON COMMIT DROP made sqlglot keep the CREATE as raw text: the temp table was read as a
    # real table and its sources were lost
    result = lineage("temp_on_commit_drop.sql", "postgres")
    assert_gone(result, "tmp_order_net")
    assert result["tables"] == {"read": ["shop.orders"], "write": ["mart.daily"]}
    assert edges(result["columns"]) == {
        ("shop.orders.*", "mart.daily.n", "DIRECT", "AGGREGATION"),
        ("shop.orders.amount", "mart.daily.total", "DIRECT", "AGGREGATION"),
        ("shop.orders.discount", "mart.daily.total", "DIRECT", "AGGREGATION"),
    }


def test_local_temporary_and_pg_temp_names_are_the_same_temp_table():
    result = lineage("temp_local_columns_on_commit.sql", "postgres")
    assert_gone(result, "tmp_paid", "pg_temp.tmp_paid")
    assert result["tables"] == {"read": ["shop.orders"], "write": ["mart.paid"]}
    assert edges(result["columns"]) == {
        ("shop.orders.*", "mart.paid.n", "DIRECT", "AGGREGATION"),
        ("shop.orders.amount", "mart.paid.total", "DIRECT", "AGGREGATION"),
    }


def test_a_temp_or_dropped_table_whose_create_does_not_parse_is_still_collapsed():
    result = lineage("temp_broken_create.sql", "postgres")
    assert [bool(s["error"]) for s in result["statements"]] == [True, False, True, False, False]
    assert_gone(result, "tmp_x", "work.step")
    assert result["tables"] == {"read": ["shop.orders"], "write": ["mart.t", "mart.u"]}
    assert result["columns"] == []  # nothing traced into the temp tables: no edge invented
