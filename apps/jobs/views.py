from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import Job


def _own_job(request, pk) -> Job:
    """Only the user who started the job: anyone else gets 404, as for a job that does not exist."""
    return get_object_or_404(Job.objects.visible_to(request.user), pk=pk)


@require_GET
def job_detail(request, pk):
    return render(request, "jobs/job_detail.html", {"job": _own_job(request, pk)})


@require_GET
def job_progress(request, pk):
    """The progress block alone; the page's htmx polls it every second until the job has finished."""
    return render(request, "jobs/job_detail.html#progress", {"job": _own_job(request, pk)})


@require_GET
def job_download(request, pk):
    job = _own_job(request, pk)
    if job.status != Job.Status.DONE or not job.file or not default_storage.exists(job.file):
        raise Http404
    return FileResponse(default_storage.open(job.file, "rb"), as_attachment=True, filename=job.filename)
