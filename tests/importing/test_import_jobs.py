"""Large imports run as RQ jobs: the upload is stored, a worker imports it and progress can be polled."""

from __future__ import annotations

import pytest

from crmcore.errors import PermissionDenied
from crmcore.importing.jobs import get_import, import_report_csv, start_import
from crmcore.testing.jobs import work_off

CSV = b"Name,Email\nAcme,info@acme.example\nBroken,not-an-email\n"



def test_a_queued_import_runs_in_a_worker_and_records_its_counts_and_report(crm, make_user):
    user = make_user("staff")
    job = start_import(crm, "customers", "clients.csv", CSV, actor=user)
    assert get_import(crm, job.id, user).status == "queued"

    work_off(crm)

    done = get_import(crm, job.id, user)
    assert done.status == "finished" and done.rows_read == 2
    assert (done.summary["created"], done.summary["failed"]) == (1, 1)
    assert b"not-an-email" in import_report_csv(crm, job.id, user)


def test_a_file_that_cannot_be_read_ends_the_job_as_failed_with_the_reason(crm):
    job = start_import(crm, "customers", "x.csv", b"Email\nonly@example.com\n")

    work_off(crm)

    failed = get_import(crm, job.id)
    assert failed.status == "failed" and "name" in failed.error


def test_another_staff_member_cannot_see_someone_elses_import(crm, make_user):
    job = start_import(crm, "customers", "clients.csv", CSV, actor=make_user("staff"))

    with pytest.raises(PermissionDenied):
        get_import(crm, job.id, make_user("staff"))
