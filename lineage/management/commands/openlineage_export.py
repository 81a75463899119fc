"""`manage.py openlineage_export --url URL [--job KEY ...]`: post jobs' current lineage as
OpenLineage RunEvents to another OpenLineage endpoint (Marquez, DataHub, another catalog)."""

import json
import urllib.error
import urllib.request

from django.core.management.base import CommandError

from core.commands import DomainCommand
from lineage.models import EtlJob
from lineage.openlineage import job_events


class Command(DomainCommand):
    help = (
        "Send each job's current lineage (all jobs, or those named by --job) as OpenLineage "
        "RunEvents with the column-lineage facet to an OpenLineage HTTP endpoint, one POST per "
        "event; --print writes them as a JSON array instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--job", action="append", default=[], help="job key (repeatable)")
        parser.add_argument("--url", help="base URL, e.g. http://marquez:5000")
        parser.add_argument(
            "--endpoint", default="api/v1/lineage", help="path under the URL (Marquez's default)"
        )
        parser.add_argument("--api-key", help="sent as `Authorization: Bearer <key>`")
        parser.add_argument("--timeout", type=float, default=30.0)
        parser.add_argument(
            "--print", dest="print_only", action="store_true", help="print the events, send nothing"
        )

    def handle(self, job, url, endpoint, api_key, timeout, print_only, **options):
        jobs = EtlJob.objects.select_related("current_version").order_by("key")
        if job:
            keys = [k.strip().lower() for k in job]
            jobs = jobs.filter(key__in=keys)
            missing = sorted(set(keys) - set(jobs.values_list("key", flat=True)))
            if missing:
                raise CommandError(f"no job {', '.join(repr(k) for k in missing)}")
        events = [event for j in jobs for event in job_events(j)]
        if print_only:
            self.stdout.write(json.dumps(events, indent=2))
            return
        if not url:
            raise CommandError("--url is required unless --print is given")
        target = f"{url.rstrip('/')}/{endpoint.strip('/')}"
        if endpoint.endswith("/"):
            target += "/"
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        for event in events:
            request = urllib.request.Request(
                target, data=json.dumps(event).encode(), headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace")[:500]
                raise CommandError(
                    f"{event['job']['name']}: {target} answered {exc.code}: {body}"
                ) from None
            except urllib.error.URLError as exc:
                raise CommandError(f"{target}: {exc.reason}") from None
            self.stdout.write(f"{event['job']['name']}: sent ({status})")
        self.stdout.write(f"{len(events)} event(s) sent to {target}")
