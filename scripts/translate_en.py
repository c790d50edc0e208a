"""Fill the English catalogue (minzheng/locale/en) from the table below, then compile it.

Chinese is the source language of every string; run after `manage.py makemessages -l en`:

    .venv/bin/python scripts/translate_en.py   (needs `polib`: uv pip install polib)

A test checks that every message has an English translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

EN = {
    "乡镇经办": "Township caseworker",
    "县级审核": "County reviewer",
    "县级审批": "County approver",
    "统计分析": "Analyst",
    "系统管理员": "System administrator",
    "安全管理员": "Security administrator",
    "审计管理员": "Audit administrator",
    "账号已锁定": "Account locked",
    "登录失败次数过多，账号已锁定 %(minutes)s 分钟，请稍后再试或联系安全管理员。": "Too many failed sign-ins: the account is locked for %(minutes)s minutes. Try again later or ask the security administrator.",
    "返回登录": "Back to sign-in",
    "登录": "Sign in",
    "民政": "Minzheng",
    "低收入人口动态监测平台": "Low-income population monitoring platform",
    "账号": "Username",
    "密码": "Password",
    "登 录": "Sign in",
    "两步验证": "Two-step verification",
    "您的账号需要两步验证，但尚未绑定验证器。请联系安全管理员绑定。": "Your account needs two-step verification but has no authenticator yet. Ask the security administrator to register one.",
    "验证器中的 6 位数字": "6-digit code from your authenticator",
    "验 证": "Verify",
    "退出": "Sign out",
    "验证码错误，请重新输入": "Wrong code, please try again",
    "国家": "Nation",
    "省级": "Province",
    "地级": "Prefecture",
    "县级": "County",
    "乡级": "Township",
    "村级": "Village",
    "新设": "Created",
    "更名": "Renamed",
    "改码": "Re-coded",
    "合并": "Merged",
    "拆分": "Split",
    "撤销": "Abolished",
    "撤县设市/设区": "County upgraded to city/district",
    "划转": "Transferred",
    "其他": "Other",
    "无下级区划": "No sub-divisions",
    "行政区划代码“%(code)s”不存在": "Division code “%(code)s” does not exist",
    "身份证号 / 姓名 / 拼音 / 地址": "ID number / name / pinyin / address",
    "仅待核实": "To review only",
    "户编号": "Household ref",
    "户籍地行政区划代码": "Hukou division code",
    "居住地址": "Address",
    "城镇": "Urban",
    "户编号已存在": "This household ref already exists",
    "居住地行政区划代码": "Residence division code",
    "姓名": "Name",
    "公民身份号码": "ID number",
    "与户主关系": "Relationship to head",
    "该身份证号已登记，请使用人员迁户": "This ID number is already registered; use the person move operation",
    "联系电话": "Phone",
    "劳动能力": "Labour capacity",
    "残疾类别": "Disability category",
    "残疾等级": "Disability grade",
    "填写了残疾等级但缺少残疾类别": "A disability grade needs a disability category",
    "文件": "File",
    "仅允许导入 xls、xlsx、csv 格式文件": "Only .xls, .xlsx and .csv files can be imported",
    "序号": "No.",
    "户主": "Head",
    "人数": "Members",
    "户籍地": "Hukou",
    "居住地": "Residence",
    "状态": "Status",
    "操作": "Actions",
    "待核实": "To review",
    "正常": "OK",
    "详情": "View",
    "修改": "Edit",
    "暂无数据": "No data",
    "正在导入……": "Importing…",
    "导入成功 %(ok)s 条，失败 %(bad)s 条": "%(ok)s rows imported, %(bad)s rejected",
    "新增 %(c)s，更新 %(u)s，未变 %(n)s": "%(c)s created, %(u)s updated, %(n)s unchanged",
    "下载错误报告": "Download the error report",
    "行": "Row",
    "列": "Column",
    "原因": "Reason",
    "第": "Row",
    "首页": "Home",
    "保存": "Save",
    "取消": "Cancel",
    "家庭档案": "Household files",
    "家庭户": "Households",
    "家庭基本信息": "Household",
    "添加成员": "Add member",
    "标记已核实": "Mark as reviewed",
    "城乡": "Urban/rural",
    "农村": "Rural",
    "家庭成员": "Members",
    "性别": "Sex",
    "出生日期": "Date of birth",
    "残疾": "Disability",
    "健康": "Health",
    "收入": "Income",
    "成员": "Member",
    "类别": "Kind",
    "月收入（元）": "Monthly income (yuan)",
    "起始": "Since",
    "财产": "Assets",
    "价值（元）": "Value (yuan)",
    "数量": "Quantity",
    "成员变动": "Membership history",
    "关系": "Relationship",
    "起": "From",
    "止": "To",
    "救助链时间轴": "Assistance chain timeline",
    "暂无记录": "Nothing recorded",
    "区划树": "Divisions",
    "查询": "Search",
    "重置": "Reset",
    "新增": "New",
    "导入": "Import",
    "导出": "Export",
    "批量导入": "Import",
    "导入家庭成员": "Import household members",
    "将文件拖到此处，或点击上传": "Drop a file here, or click to upload",
    "仅允许导入 xls、xlsx、csv 格式文件。": "Only .xls, .xlsx and .csv files.",
    "下载模板": "Download the template",
    "最近导入": "Recent imports",
    "时间": "Time",
    "行数": "Rows",
    "导入结果": "Import result",
    "人员查询": "Persons",
    "人员信息": "Person",
    "家庭": "Household",
    "状况变动": "Condition history",
    "收入变动": "Income history",
    "户籍与居住地变动": "Hukou and residence history",
    "地址": "Address",
    "数据质量：无区划人员": "Data quality: persons without a division",
    "姓名 / 拼音": "Name / pinyin",
    "按身份证号查询": "Search by ID number",
    "该区划不在您的辖区内": "That division is outside your jurisdiction",
    "已新建家庭档案": "Household file created",
    "新增家庭户": "New household",
    "已保存": "Saved",
    "修改家庭户": "Edit household",
    "已添加成员": "Member added",
    "修改人员信息": "Edit person",
    "民政 · 监测平台": "Minzheng · Monitoring",
    "系统": "System",
    "接口文档": "API docs",
    "系统管理": "Administration",
    "当前区划": "Division",
    "工作台": "Workbench",
    "人员": "Persons",
    "待核实家庭": "Households to review",
    "无区划人员（数据质量）": "Persons without a division (data quality)",
    "行政区划": "Divisions",
    "您的角色不查看个人信息。": "Your role does not see personal data.",
    "共 %(n)s 条": "%(n)s in total",
    "动作": "Action",
    "对象": "Object",
    "审计日志": "Audit trail",
    "渠道": "Channel",
    "摘要": "Summary",
    "操作人": "User",
    "%(s)s 条/页": "%(s)s / page",
    "前往": "Go to",
    "页": "page",
}


def main() -> int:
    import polib

    po_path = Path(__file__).resolve().parent.parent / "minzheng/locale/en/LC_MESSAGES/django.po"
    po = polib.pofile(str(po_path))
    missing = []
    for entry in po:
        if entry.msgid in EN:
            entry.msgstr = EN[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.msgstr:
            missing.append(entry.msgid)
    po.save()
    po.save_as_mofile(str(po_path.with_suffix(".mo")))
    for m in missing:
        print("missing:", m, file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
