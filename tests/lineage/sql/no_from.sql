INSERT INTO audit.load_log (loaded_rows, note)
SELECT row_count, 'nightly load';
