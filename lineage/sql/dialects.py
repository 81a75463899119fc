"""Dialect names (the corpus's and users' spellings onto sqlglot's) and the words that can
start a statement in some dialect."""

from __future__ import annotations

import re

import sqlglot
from sqlglot.dialects.dialect import Dialects
from sqlglot.tokens import Token

# Corpus / user dialect names that sqlglot spells differently or does not know.
DIALECT_ALIASES: dict[str, str | None] = {
    "ansi": None,
    "generic": None,
    "sparksql": "spark",
    "spark_sql": "spark",
    "mariadb": "mysql",
    "greenplum": "postgres",
    "postgresql": "postgres",
    "vertica": "postgres",
    "db2": None,
    "sqlserver": "tsql",
    "mssql": "tsql",
    "azuresynapse": "tsql",
    "synapse": "tsql",
    "fabric": "fabric",
    "netezza": "postgres",
}

_KNOWN = frozenset(d.value for d in Dialects if d.value)

# Dialects whose scripts are T-SQL batches (no semicolons needed, `SET x += 1`).
TSQL_LIKE = ("tsql", "fabric")


def normalize_dialect(dialect: str | None) -> str | None:
    """Map user / corpus dialect names onto sqlglot's; unknown names fall back to generic."""
    if not dialect:
        return None
    name = dialect.strip().lower()
    if name in DIALECT_ALIASES:
        return DIALECT_ALIASES[name]
    return name if name in _KNOWN else None


# Statement words sqlglot tokenizes as plain names in some dialect, though they start a
# statement somewhere (client commands, scripting, Hive/Spark/Impala/Teradata/T-SQL/...).
_STATEMENT_WORDS = frozenset(
    re.findall(
        r"\w+",
        """
    ABORT ADD ALTER ANALYSE ANALYZE APPLY ASSERT ATTACH BACKUP BEGIN BREAK BULK CACHE CALL
    CASE CHECK CHECKPOINT CLEAR CLOSE CLUSTER COLLECT COMMENT COMMIT COMPUTE CONNECT CONTINUE
    CONVERT COPY CREATE DATABASE DBCC DEALLOCATE DECLARE DEFINE DEL DELETE DELIMITER DENY DESC
    DESCRIBE DETACH DISABLE DISCARD DISCONNECT DO DROP ECHO ELSE ELSEIF ELSIF ENABLE END
    EXCEPTION EXCHANGE EXEC EXECUTE EXIT EXPLAIN EXPORT FETCH FLUSH FOR FOREACH FROM FSCK
    GENERATE GET GO GOTO GRANT HANDLER HELP IF IMPORT INS INSERT INSTALL INVALIDATE ITERATE
    KILL LEAVE LET LIST LISTEN LOAD LOCK LOCKING LOGON LOOP LS MERGE MODIFY MOVE MSCK NOTIFY
    OPEN OPTIMIZE PERFORM PRAGMA PREPARE PRINT PROMPT PURGE PUT RAISE RAISERROR READTEXT
    REASSIGN RECONFIGURE RECOVER REFRESH REINDEX RELEASE REMOVE RENAME REORG REPAIR REPEAT
    REPLACE RESET RESTORE RETURN REVERT REVOKE RM ROLLBACK RUNSTATS SAVE SAVEPOINT SECURITY
    SEL SELECT SET SETUSER SHOW SHUTDOWN SIGNAL SOURCE SPOOL START SUMMARIZE SWAP SYNC TABLE
    THROW TRUNCATE UNCACHE UNDROP UNLISTEN UNLOAD UNLOCK UNSET UPD UPDATE UPSERT USE VACUUM
    VALUES VARIABLE WAITFOR WHENEVER WHILE WITH
    """,
    )
)
_NAME_TOKENS = frozenset(
    {
        sqlglot.TokenType.VAR,
        sqlglot.TokenType.IDENTIFIER,
        sqlglot.TokenType.STRING,
        sqlglot.TokenType.NUMBER,
    }
)


def unknown_statement_word(
    text: str, dialect: str | None, tokens: list[Token] | None = None
) -> str | None:
    """The first word of `text` when it cannot start a statement: the dialect's tokenizer reads
    it as a plain name (or a literal), not a keyword, and no dialect uses it as a statement
    word. sqlglot would otherwise read `SELEC oops` as the expression `SELEC AS oops`.
    ``tokens``: the text's tokens, when the caller has them already."""
    if tokens is None:
        try:
            tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(text[:200])
        except Exception:  # the parser reports what the tokenizer cannot read
            return None
    if not tokens or tokens[0].token_type not in _NAME_TOKENS:
        return None
    first = tokens[0]
    word = first.text
    if first.token_type in (sqlglot.TokenType.VAR, sqlglot.TokenType.IDENTIFIER):
        upper = word.upper()
        if upper in _STATEMENT_WORDS:
            return None
        if dialect in TSQL_LIKE and upper.startswith(("SP_", "XP_")):
            return None  # a T-SQL batch may run a procedure without EXEC
        if len(tokens) > 1 and tokens[1].token_type == sqlglot.TokenType.COLON:
            return None  # a label (`outer_loop: LOOP ...`)
    return word[:60]
