"""API pieces every governed workflow shares (definitions, mappings, policies, contracts):
the viewset base that fires transitions and shows history, and the bodies they take."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response

from core.api.serializers import ModelSerializer
from core.api.views import GovernedViewSet
from governance.models import StatusChange
from governance.workflow import history, transition


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class StatusChangeSerializer(ModelSerializer):
    subject = serializers.SerializerMethodField()

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "subject",
            "transition",
            "from_status",
            "to_status",
            "via",
            "actor_name",
            "at",
            "reason",
            "review",
        ]
        read_only_fields = fields

    def get_subject(self, change) -> str:
        return self.context.get("labels", {}).get(change.object_id, str(change.object_id))


class WorkflowViewSet(GovernedViewSet):
    """A governed viewset whose objects move through a workflow: each lifecycle step is a POST
    action that fires one transition (governance.workflow) and answers with the object as it
    is now; an illegal step is a 400 listing the allowed ones (core.errors)."""

    def fire(self, obj, name: str, input_class=ReasonSerializer, run=None) -> Response:
        """Validate the step's body, fire it (or `run(actor, obj, name, reason=..., **params)`),
        answer with the object as a GET shows it."""
        body = input_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        params = dict(body.validated_data)
        reason = params.pop("reason", "")
        (run or transition)(self.actor(), obj, name, reason=reason, **params)
        return self.represent(obj)

    def history_of(self, subjects: list, labels: dict | None = None) -> Response:
        """Every transition of `subjects`, oldest first; `labels` names each subject by id."""
        changes = StatusChange.objects.none()
        for subject in subjects:
            changes = changes | history(subject)
        rows = StatusChangeSerializer(
            changes.order_by("at", "id"), many=True, context={"labels": labels or {}}
        ).data
        return Response(rows)
