-- When a portfolio job's result files (CSV and XLSX, in the R2 bucket FILES; src/files/) were
-- written by the job's workflow, after its last batch (completed) or the batch that saw its
-- cancel. Null while they are not (yet) there: Get_Portfolio_Result then gives no download links.
ALTER TABLE portfolio_jobs ADD COLUMN files_at TEXT;
