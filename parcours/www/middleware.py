from django.conf import settings

from parcours.organisations.models import Membership

SESSION_KEY = "current_membership_id"


def _current_membership(request):
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.active().filter(user=user).select_related("organisation")
    wanted = request.session.get(SESSION_KEY)
    membership = memberships.filter(pk=wanted).first() if wanted else None
    return membership or memberships.order_by("organisation__name").first()


class CurrentMembershipMiddleware:
    """Sets request.membership: the organisation the professional is acting for (switchable)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = _current_membership(request)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        return response
