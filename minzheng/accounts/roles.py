"""Roles a user can hold, and which of them may see personal data.

Roles are Django groups named by the role code, so operators manage them in the
admin; the three administrator roles are kept apart from the data roles (MLPS level 3).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("乡镇经办")
    REVIEWER = "reviewer", _("县级审核")
    APPROVER = "approver", _("县级审批")
    ANALYST = "analyst", _("统计分析")
    SYSADMIN = "sysadmin", _("系统管理员")
    SECADMIN = "secadmin", _("安全管理员")
    AUDITADMIN = "auditadmin", _("审计管理员")


# Roles whose holders see personal data inside their division.
DATA_ROLES = frozenset({Role.CASEWORKER, Role.REVIEWER, Role.APPROVER, Role.ANALYST})
# Roles that edit the registry (analysts only read).
WRITE_ROLES = frozenset({Role.CASEWORKER, Role.REVIEWER, Role.APPROVER})
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN})
# Roles that must sign in with a second factor when MINZHENG_2FA=roles.
TWO_FACTOR_ROLES = ADMIN_ROLES | {Role.APPROVER}
