"""Sign-in, sign-out and the second factor."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only; the database session is deleted, so the cookie is worthless afterwards."""


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the TOTP code of a user who must use two factors."""
    has_device = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    error = ""
    if request.method == "POST" and has_device:
        device = match_token(request.user, request.POST.get("otp", "").strip())
        if device is not None:
            otp_login(request, device)
            return redirect("web:home")
        error = _("验证码错误，请重新输入")
    return render(request, "accounts/otp.html", {"has_device": has_device, "error": error})
