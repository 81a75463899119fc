CREATE TEMP TABLE tmp_x AS SELECT o.id, o.amount FROM shop.orders o WHERE ;
INSERT INTO mart.t (n) SELECT COUNT(*) FROM tmp_x;
CREATE TABLE work.step AS SELECT o.id FROM shop.orders o WHERE ;
INSERT INTO mart.u (n) SELECT COUNT(*) FROM work.step;
DROP TABLE IF EXISTS work.step;
