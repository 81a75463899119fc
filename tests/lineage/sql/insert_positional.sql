INSERT INTO dw.store SELECT s.id, upper(s.name) FROM pos.stores s;
