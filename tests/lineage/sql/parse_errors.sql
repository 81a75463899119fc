-- every statement is broken in its own way
SELECT * FROM WHERE x;
INSERT INTO dw.x (a)
SELECT a FROM s WHERE (a > ;
SELECT a FROM t GROUP x;
MERGE INTO dw.t USING s ON t.id = s.id;
    INSERT INTO dw.y SELECT a, 'oops FROM s;
