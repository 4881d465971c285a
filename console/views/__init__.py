"""The console's pages: signing in and out (`auth`), the second factor (`totp`), the language
switch (`language`), the police's dashboard, cases, lookups, batch uploads and reveals (`cases`), the
supervisors' approval queue (`approvals`), and the auditors' event search and proofs
(`audit`)."""
