"""API pieces every governed workflow shares (definitions, mappings, policies, contracts):
the viewset base that fires transitions and shows history, and the bodies they take."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response

from core.api.serializers import ModelSerializer
from core.api.views import GovernedViewSet
from governance.models import StatusChange
from governance.workflow import check_right, history, transition


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
        """Check the caller's right to the step, then validate its body, fire it (or
        `run(actor, obj, name, reason=..., **params)`), answer with the object as a GET shows
        it. The right comes first: who may not act learns nothing about the body or state."""
        self.check_right(obj, name)
        body = input_class(data=self.request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        params = dict(body.validated_data)
        reason = params.pop("reason", "")
        (run or transition)(self.actor(), obj, name, reason=reason, **params)
        return self.represent(obj)

    def workflow_subject(self, obj):
        """The object whose workflow the steps of `obj` fire (a definition's: its versions)."""
        return obj

    def check_right(self, obj, name: str) -> None:
        check_right(self.request.user, self.workflow_subject(obj), name)

    def history_of(self, subjects: list, labels: dict | None = None) -> Response:
        """Every transition of `subjects`, oldest first; `labels` names each subject by id."""
        changes = StatusChange.objects.none()
        for subject in subjects:
            changes = changes | history(subject)
        rows = StatusChangeSerializer(
            changes.order_by("at", "id"), many=True, context={"labels": labels or {}}
        ).data
        return Response(rows)
