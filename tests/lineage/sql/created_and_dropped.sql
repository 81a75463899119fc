-- work.step only lives for this script; work.kept is rebuilt by it and stays
CREATE TABLE work.step AS SELECT o.id, o.amount FROM shop.orders o;
DROP TABLE IF EXISTS work.kept;
CREATE TABLE work.kept AS SELECT s.id, s.amount FROM work.step s;
INSERT INTO mart.totals (id, total) SELECT id, amount * 2 FROM work.step;
DROP TABLE work.step;
