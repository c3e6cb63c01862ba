-- Who saved an assessment, as they were signed in at the time: the identity's display name and
-- e-mail (informational claims, never used for identity or access; the owner is owner_key). The
-- tenant view (Get_Tenant_Assessments) shows them to the tenant's administrators.
-- NULL: the assessment was saved before names were recorded. '' : the identity had no such claim.
ALTER TABLE assessments ADD COLUMN owner_name TEXT;
ALTER TABLE assessments ADD COLUMN owner_email TEXT;
