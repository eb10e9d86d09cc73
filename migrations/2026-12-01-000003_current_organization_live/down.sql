-- Nothing to undo: the rows mended pointed at deleted organizations.
SELECT 1;
