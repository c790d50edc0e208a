"""Sign-in, sign-out and the second factor."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only; the database session is deleted, so the cookie is worthless afterwards."""


def qr_svg(data: str) -> SafeString:
    """An inline SVG QR code of ``data``, drawn here (segno): the secret never leaves the server."""
    import segno

    svg = segno.make(data, error="m").svg_inline(scale=4, border=2, title="otpauth")
    return mark_safe(svg)  # segno's own markup; it escapes the URI it encodes


def _enrol(request: HttpRequest, device: TOTPDevice) -> HttpResponse | None:
    """Confirm the device a security administrator prepared, with a first valid code."""
    from minzheng.accounts.services import Audit, audit_record

    if not device.verify_token(request.POST.get("otp", "").strip()):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    audit_record(actor=request.user, events=[  # type: ignore[arg-type]
        Audit("update", "totpdevice", device.pk, summary="绑定动态口令验证器")
    ])  # fmt: skip
    return redirect("web:home")


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the TOTP code of a user who must use two factors; a user whose device was
    prepared (unconfirmed) by a security administrator scans its QR code and confirms it."""
    devices = TOTPDevice.objects.filter(user=request.user)
    has_device = devices.filter(confirmed=True).exists()
    pending = None if has_device else devices.filter(confirmed=False).order_by("-pk").first()
    error = ""
    if request.method == "POST" and pending is not None:
        done = _enrol(request, pending)
        if done is not None:
            return done
        error = _("验证码错误，请确认手机时间准确后重新输入")
    elif request.method == "POST" and has_device:
        device = match_token(request.user, request.POST.get("otp", "").strip())
        if device is not None:
            otp_login(request, device)
            return redirect("web:home")
        error = _("验证码错误，请重新输入")
    ctx = {"has_device": has_device, "error": error, "pending": pending}
    if pending is not None:
        ctx["qr"] = qr_svg(pending.config_url)
        ctx["secret"] = b32_secret(pending)
    return render(request, "accounts/otp.html", ctx)


def b32_secret(device: TOTPDevice) -> str:
    """The device key in base32, grouped by four, for typing into an app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))
