"""Registry endpoints: validate the input, call one selector or service, render.

Every queryset comes from a selector or ``visible_to``, so an object outside the
caller's jurisdiction is a 404 exactly like one that does not exist. Users without
a data role (the administrators) get 403 on every endpoint, before any lookup.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from minzheng.accounts.api import CanEditRegistry, SecondFactorVerified, SeesPersonalData
from minzheng.accounts.services import audit_read, audit_search
from minzheng.core.api import error_responses
from minzheng.identity.resident_id import mask
from minzheng.registry import services
from minzheng.registry.api import serializers as s
from minzheng.registry.api.parsers import PARSERS
from minzheng.registry.models import Household, Person
from minzheng.registry.selectors import (
    SearchCriteria,
    household_file,
    households_search,
    persons_search,
)

OUTSIDE_JURISDICTION = "该区划不在您的辖区内 / the division is outside your jurisdiction"


class RegistryViewSet(viewsets.GenericViewSet):
    """Signed in (two factors where required), holding a data role; objects by ``uid``."""

    permission_classes = [IsAuthenticated, SecondFactorVerified, SeesPersonalData]
    parser_classes = PARSERS  # a multipart body that is not a form is a 400
    lookup_field = "uid"  # opaque; primary keys never leave the server

    def _input(self, serializer: type[serializers.Serializer], data: Any, **kw: Any) -> dict:
        given = serializer(data=data, **kw)
        given.is_valid(raise_exception=True)
        return dict(given.validated_data)

    def _page(
        self, qs: QuerySet, serializer: type[serializers.Serializer], audit: dict[str, Any]
    ) -> Response:
        """One page of ``qs``; the search is audited with the total it matched."""
        page = self.paginate_queryset(qs)
        audit_search(actor=self.request.user, rows=self.paginator.page.paginator.count, **audit)
        return self.get_paginated_response(serializer(page, many=True).data)


@extend_schema(tags=["households"])
@extend_schema_view(
    list=extend_schema(
        parameters=[s.HouseholdFilterSerializer],
        responses={
            200: s.HouseholdSummarySerializer(many=True),
            **error_responses(400, 401, 403, 404),
        },
    ),
    retrieve=extend_schema(
        responses={200: s.HouseholdFileSerializer, **error_responses(401, 403, 404)}
    ),
    partial_update=extend_schema(
        request=s.HouseholdUpdateSerializer,
        responses={200: s.HouseholdSerializer, **error_responses(400, 401, 403, 404, 415)},
    ),
)
class HouseholdViewSet(RegistryViewSet):
    """家庭户 / households inside the caller's jurisdiction (by hukou or residence)."""

    serializer_class = s.HouseholdSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Household]:
        return Household.objects.visible_to(self.request.user).select_related(
            "hukou_division", "residence_division", "head"
        )

    def get_permissions(self) -> list[Any]:
        extra = [CanEditRegistry()] if self.action == "partial_update" else []
        return [*super().get_permissions(), *extra]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return (
            s.HouseholdUpdateSerializer
            if self.action == "partial_update"
            else s.HouseholdSerializer
        )

    def list(self, request: Request) -> Response:
        """Search by name, pinyin, address or ref; every call is audited (ID numbers: persons/search)."""
        criteria = SearchCriteria(**self._input(s.HouseholdFilterSerializer, request.query_params))
        qs = households_search(request.user, criteria)
        return self._page(
            qs,
            s.HouseholdSummarySerializer,
            {"object_type": "household", "criteria": criteria.audit_form()},
        )

    def retrieve(self, request: Request, uid: str) -> Response:
        """The household file: members (ID numbers masked), current incomes and assets; a logged read."""
        household = self.get_object()
        audit_read(
            actor=request.user,
            object_type="household",
            object_id=household.pk,
            household_id=household.pk,
            summary=f"查看家庭档案 {household.ref}",
        )
        return Response(s.HouseholdFileSerializer(household_file(request.user, household)).data)

    def partial_update(self, request: Request, uid: str) -> Response:
        """Change the address, residence division (inside your jurisdiction) or urban flag."""
        household = self.get_object()
        changes = self._input(s.HouseholdUpdateSerializer, request.data, partial=True)
        services.household_update(
            actor=request.user, household=household, on=timezone.localdate(), **changes
        )
        return Response(s.HouseholdSerializer(household).data)


@extend_schema(tags=["persons"])
@extend_schema_view(
    list=extend_schema(
        parameters=[s.PersonFilterSerializer],
        responses={
            200: s.PersonSummarySerializer(many=True),
            **error_responses(400, 401, 403, 404),
        },
    ),
    retrieve=extend_schema(responses={200: s.PersonSerializer, **error_responses(401, 403, 404)}),
    search=extend_schema(
        request=s.IdSearchSerializer,
        responses={
            200: s.PersonSummarySerializer(many=True),
            **error_responses(400, 401, 403, 404, 415),
        },
    ),
)
class PersonViewSet(RegistryViewSet):
    """人员 / persons whose hukou or residence lies inside the caller's jurisdiction."""

    serializer_class = s.PersonSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Person]:
        return Person.objects.visible_to(self.request.user).select_related(
            "household", "hukou_division", "residence_division", "merged_into"
        )

    def list(self, request: Request) -> Response:
        """Search by name or pinyin (ID numbers: POST search/); every call is audited."""
        given = self._input(s.PersonFilterSerializer, request.query_params)
        q, division = given.get("q", ""), given.get("division")
        qs = persons_search(request.user, q=q, division=division)
        criteria = {"q": q, "division": division.code if division else None}
        return self._page(
            qs, s.PersonSummarySerializer, {"object_type": "person", "criteria": criteria}
        )

    def retrieve(self, request: Request, uid: str) -> Response:
        """One person with the full ID number; every opening is audited."""
        person = self.get_object()
        audit_read(
            actor=request.user,
            object_type="person",
            object_id=person.pk,
            household_id=person.household_id,
            summary=f"查看人员 {person.name}",
        )
        return Response(s.PersonSerializer(person).data)

    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        """Find persons by ID number, sent in the body so it never sits in a URL (or an access log)."""
        number = self._input(s.IdSearchSerializer, request.data)["id_number"]
        qs = persons_search(request.user, id_number=number)
        return self._page(
            qs,
            s.PersonSummarySerializer,
            {"object_type": "person", "criteria": {"id_number": mask(number)}},
        )
