INSERT INTO dw.broken (id) SELECT id FROM crm.b WHERE (id > ;
INSERT INTO dw.next (id) SELECT id FROM crm.c;
INSERT INTO dw.last (id) SELECT id FROM crm.d;
