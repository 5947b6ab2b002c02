# Bucket custody, count sheets, deposits and reconciliation arrive with the donations issue.
