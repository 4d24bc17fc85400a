"""Chinese and English: the phrase catalogue and locale-aware number, date and yuan formats.

Why a dict and not gettext .po files: the catalogue is small, both languages are first-class
(neither is the "source" language), and a test checks every key has both texts. Babel formats
numbers and dates per locale; yuan amounts use the units each audience reads (亿元 / bn yuan).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from importlib import resources
from typing import Any

import yaml
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LANGS = ("zh", "en")
LOCALES = {"zh": "zh_CN", "en": "en_GB"}

CATALOGUE: dict[str, dict[str, str]] = {
    "app_title": {"en": "Innovation Observatory", "zh": "科技创新监测平台"},
    "index_left_out": {"en": "Left out of the index because no district has data for them",
                       "zh": "因各区（市）均无数据而未纳入指数的指标"},
    "size_yuan": {"en": "Fund size", "zh": "基金规模"},
    "sev_error": {"en": "error", "zh": "错误"},
    "sev_warning": {"en": "warning", "zh": "提醒"},
    "rv_pending": {"en": "pending", "zh": "待复核"},
    "rv_accepted": {"en": "accepted", "zh": "已接受"},
    "rv_rejected": {"en": "rejected", "zh": "已拒绝"},
    "rv_all": {"en": "all", "zh": "全部"},
    "rv_auto": {"en": "sure", "zh": "确定"},
    "rv_review": {"en": "to review", "zh": "待复核"},
    "rv_none": {"en": "no match", "zh": "无匹配"},
    "data_as_of": {"en": "Data as of", "zh": "数据截至"},
    "provisional": {"en": "provisional", "zh": "初步数"},
    "uncertainty": {"en": "uncertainty", "zh": "不确定性分析"},
    "mc_runs": {"en": "Monte Carlo runs", "zh": "蒙特卡洛模拟次数"},
    "index_indicators": {"en": "Indicators and weights", "zh": "指标与权重"},
    "pillar": {"en": "Pillar (weight)", "zh": "分项（权重）"},
    "weight": {"en": "Weight", "zh": "权重"},
    "index_values": {"en": "Values: as computed, and normalised (1-100)",
                     "zh": "指标值：计算值及标准化值（1–100）"},
    "index_values_note": {"en": "Each cell: the indicator's value in its unit, and below it the "
                                "normalised value the index aggregates.",
                          "zh": "每格上方为指标原值（按其单位），下方为指数汇总所用的标准化值。"},
    "what_if": {"en": "What if the weights were different?", "zh": "调整权重试算"},
    "recompute": {"en": "Recompute", "zh": "重新计算"},
    "rank_change": {"en": "Rank change", "zh": "位次变化"},
    "reconcile": {"en": "Published figures and the registry", "zh": "公布数据与登记数据核对"},
    "reconcile_intro": {"en": "Every published statistic beside the value the registry's records "
                              "give for the same indicator, region and year, compared to the "
                              "published precision.",
                        "zh": "每项公布的统计数据与登记记录按同一指标、地区、年份计算的数值对照，"
                              "按公布精度比较。"},
    "published_value": {"en": "Published", "zh": "公布值"},
    "computed_value": {"en": "Computed from records", "zh": "记录计算值"},
    "difference": {"en": "Difference", "zh": "差额"},
    "rc_match": {"en": "Matches", "zh": "一致"},
    "rc_differs": {"en": "Differs", "zh": "不一致"},
    "rc_observed": {"en": "Published only (no registry counterpart)",
                    "zh": "仅有公布数（无对应登记指标）"},
    "rc_not_in_catalogue": {"en": "Not in the catalogue", "zh": "不在指标目录中"},
    "rc_not_a_year": {"en": "Not a yearly period", "zh": "非年度统计期"},
    "rc_no_records": {"en": "No records", "zh": "无记录"},
    "rc_more than": {"en": "more than", "zh": "以上"},
    "rc_less than": {"en": "less than", "zh": "以下"},
    "overview": {"en": "Overview", "zh": "总览"},
    "plans": {"en": "Plans", "zh": "规划计划"},
    "indicators": {"en": "Indicators", "zh": "指标"},
    "index": {"en": "Composite index", "zh": "综合指数"},
    "market": {"en": "Marketplace", "zh": "技术市场"},
    "funds": {"en": "Funds", "zh": "基金"},
    "enterprises": {"en": "Enterprises", "zh": "企业"},
    "data": {"en": "Data", "zh": "数据"},
    "report": {"en": "Annual report", "zh": "年度监测报告"},
    "login": {"en": "Log in", "zh": "登录"},
    "logout": {"en": "Log out", "zh": "退出"},
    "username": {"en": "User name", "zh": "用户名"},
    "password": {"en": "Password", "zh": "密码"},
    "login_failed": {"en": "Wrong user name or password.", "zh": "用户名或密码错误。"},
    "login_limited": {"en": "Too many failed attempts; try again in a few minutes.",
                      "zh": "失败次数过多，请几分钟后再试。"},
    "signed_in_as": {"en": "Signed in as", "zh": "当前用户"},
    "json": {"en": "JSON", "zh": "JSON 数据"},
    "csv": {"en": "Download CSV", "zh": "下载 CSV"},
    "not_available": {"en": "Not available yet", "zh": "暂无数据"},
    "engine_missing": {"en": "The computation engine for this part is not available yet.",
                       "zh": "该部分的计算引擎尚未就绪。"},
    "target": {"en": "Target", "zh": "目标"},
    "target_year": {"en": "Target year", "zh": "目标年份"},
    "base_year": {"en": "Base year", "zh": "基期"},
    "latest": {"en": "Latest", "zh": "最新值"},
    "status": {"en": "Status", "zh": "状态"},
    "method": {"en": "Method", "zh": "方法"},
    "probability": {"en": "Probability of reaching the target", "zh": "达成目标的概率"},
    "forecast": {"en": "Forecast (10-50-90 % band)", "zh": "预测（10%–90% 区间）"},
    "history": {"en": "History", "zh": "历史"},
    "lagging": {"en": "What lags", "zh": "滞后项"},
    "nothing_lags": {"en": "Nothing lags among the assessed targets.",
                     "zh": "已评估目标中没有滞后项。"},
    "owner": {"en": "Owner", "zh": "责任单位"},
    "major_project": {"en": "Major project", "zh": "重大工程"},
    "key_task": {"en": "Key task", "zh": "重点任务"},
    "indicator": {"en": "Indicator", "zh": "指标"},
    "region": {"en": "Region", "zh": "地区"},
    "period": {"en": "Period", "zh": "时期"},
    "value": {"en": "Value", "zh": "数值"},
    "unit": {"en": "Unit", "zh": "单位"},
    "source": {"en": "Source", "zh": "来源"},
    "show": {"en": "Show", "zh": "显示"},
    "records": {"en": "Records", "zh": "明细记录"},
    "search": {"en": "Search", "zh": "搜索"},
    "achievements": {"en": "Achievements", "zh": "科技成果"},
    "demands": {"en": "Demands", "zh": "技术需求"},
    "match": {"en": "Find matches", "zh": "匹配"},
    "matches_for": {"en": "Matches for", "zh": "匹配结果："},
    "why": {"en": "Why", "zh": "匹配理由"},
    "score": {"en": "Score", "zh": "得分"},
    "title": {"en": "Title", "zh": "标题"},
    "field": {"en": "Field", "zh": "领域"},
    "edit": {"en": "Edit", "zh": "编辑"},
    "save": {"en": "Save", "zh": "保存"},
    "saved": {"en": "Saved.", "zh": "已保存。"},
    "summary": {"en": "Summary", "zh": "简介"},
    # marketplace browsing
    "mk_newest": {"en": "Newest listings", "zh": "最新发布"},
    "mk_found": {"en": "{n} listings", "zh": "共 {n} 条"},
    "mk_kind": {"en": "Type", "zh": "类型"},
    "mk_field": {"en": "Field", "zh": "领域"},
    "mk_trl": {"en": "Technology readiness", "zh": "技术成熟度"},
    "mk_region": {"en": "Region", "zh": "地区"},
    "mk_price": {"en": "Price or budget", "zh": "价格或预算"},
    "mk_clear": {"en": "Clear filters", "zh": "清除筛选"},
    "mk_related": {"en": "Related listings", "zh": "相关成果与需求"},
    "mk_none": {"en": "No listing matches these filters.", "zh": "没有符合筛选条件的条目。"},
    "mk_price_achievement": {"en": "Asking price", "zh": "转让价格"},
    "mk_price_demand": {"en": "Budget", "zh": "预算"},
    "mk_published": {"en": "Published", "zh": "发布日期"},
    "mk_prev": {"en": "Previous", "zh": "上一页"},
    "mk_next": {"en": "Next", "zh": "下一页"},
    "mk_page_of": {"en": "Page {page} of {pages}", "zh": "第 {page} 页，共 {pages} 页"},
    "ls_published": {"en": "published", "zh": "已发布"},
    "ls_draft": {"en": "draft", "zh": "草稿"},
    "ls_expired": {"en": "expired", "zh": "已过期"},
    "ls_withdrawn": {"en": "withdrawn", "zh": "已撤回"},
    "fund": {"en": "Fund", "zh": "基金"},
    "vintage": {"en": "Vintage", "zh": "设立年份"},
    "size": {"en": "Size", "zh": "规模"},
    "committed": {"en": "Committed", "zh": "认缴"},
    "invested": {"en": "Invested", "zh": "已投资"},
    "investments": {"en": "Investments", "zh": "投资项目"},
    "paid_in": {"en": "Paid in", "zh": "实缴"},
    "distributed": {"en": "Distributed", "zh": "分配"},
    "nav": {"en": "NAV", "zh": "净值"},
    "tvpi": {"en": "TVPI", "zh": "总价值倍数"},
    "irr": {"en": "IRR", "zh": "内部收益率"},
    "fiscal_leverage": {"en": "Fiscal leverage (F/G)", "zh": "财政出资放大倍数"},
    "deployment_of_paid_in": {"en": "Deployed ÷ paid-in", "zh": "投放率（占实缴）"},
    "deployment_of_committed": {"en": "Deployed ÷ committed", "zh": "投放率（占认缴）"},
    "return_multiple": {"en": "Return-investment multiple", "zh": "返投倍数"},
    "return_multiple_committed": {"en": "City return-investment multiple (÷ committed "
                                        "government money)", "zh": "全市返投倍数（占政府认缴）"},
    "return_multiple_paid_in": {"en": "City return-investment multiple (÷ paid-in government "
                                      "money)", "zh": "全市返投倍数（占政府实缴）"},
    "fund_flags": {"en": "Flags", "zh": "预警"},
    "no_investment_12m": {"en": "no investment in 12 months", "zh": "12个月无投资"},
    "calls_behind": {"en": "calls behind schedule", "zh": "缴款滞后"},
    "return_shortfall": {"en": "return-investment shortfall", "zh": "返投不足"},
    "programme": {"en": "Programme", "zh": "基金体系合计"},
    "fund_families": {"en": "Fund families", "zh": "母子基金"},
    "sort_by": {"en": "Sort by", "zh": "排序"},
    "descending": {"en": "descending", "zh": "降序"},
    "download_xlsx": {"en": "Download XLSX", "zh": "下载 XLSX"},
    "data_checks": {"en": "Data-quality checks", "zh": "数据质量检查"},
    "checks_clean": {"en": "No findings: the data passes every check.",
                     "zh": "未发现问题：数据通过全部检查。"},
    "checks_found": {"en": "Findings to resolve before the report.",
                     "zh": "报告前需处理以下问题。"},
    "check": {"en": "Check", "zh": "检查"},
    "severity": {"en": "Severity", "zh": "严重程度"},
    "threshold": {"en": "Threshold", "zh": "阈值"},
    "findings": {"en": "Findings", "zh": "发现的问题"},
    "finding": {"en": "Finding", "zh": "问题"},
    "record": {"en": "Record", "zh": "记录"},
    "run_checks": {"en": "Run checks", "zh": "运行检查"},
    "fairs": {"en": "Fairs", "zh": "对接会"},
    "fair": {"en": "Fair", "zh": "对接会"},
    "create_fair": {"en": "Create a fair", "zh": "新建对接会"},
    "name_zh": {"en": "Name (Chinese)", "zh": "中文名称"},
    "name_en": {"en": "Name (English)", "zh": "英文名称"},
    "held_on": {"en": "Date", "zh": "举办日期"},
    "place": {"en": "Place", "zh": "地点"},
    "pairs": {"en": "Pairs", "zh": "对接项目"},
    "add_matches": {"en": "Add matches (codes)", "zh": "添加匹配（代码）"},
    "add": {"en": "Add", "zh": "添加"},
    "download_csv": {"en": "Download CSV", "zh": "下载 CSV"},
    "assign_broker": {"en": "Assign broker", "zh": "分派经纪人"},
    "propose_pair": {"en": "Propose a pair with a broker", "zh": "提出匹配并分派经纪人"},
    "no_broker": {"en": "no broker yet", "zh": "暂不分派"},
    "enterprise": {"en": "Enterprise", "zh": "企业"},
    "designations": {"en": "Designations over time", "zh": "资质认定历史"},
    "valid_from": {"en": "From", "zh": "起"},
    "valid_to": {"en": "To", "zh": "止"},
    "eligibility": {"en": "Eligibility self-assessment", "zh": "资质自评"},
    "pack": {"en": "Rule pack", "zh": "认定规则"},
    "assess": {"en": "Assess", "zh": "评估"},
    "year": {"en": "Year", "zh": "年份"},
    "revenue": {"en": "Revenue (yuan)", "zh": "营业收入（元）"},
    "high_tech_revenue": {"en": "High-tech revenue (yuan)", "zh": "高新技术产品收入（元）"},
    "rd_expense": {"en": "R&D expense (yuan)", "zh": "研发费用（元）"},
    "employees": {"en": "Employees", "zh": "职工人数"},
    "tech_staff": {"en": "S&T staff", "zh": "科技人员数"},
    "ip_class1": {"en": "Class I IP", "zh": "I类知识产权"},
    "ip_class2": {"en": "Class II IP", "zh": "II类知识产权"},
    "total_revenue": {"en": "Total revenue (yuan)", "zh": "总收入（元）"},
    "rd_expense_domestic": {"en": "R&D in China (yuan)", "zh": "境内研发费用（元）"},
    "transformations": {"en": "Achievements transformed", "zh": "科技成果转化数"},
    "yearly_figures": {"en": "Yearly figures", "zh": "年度数据"},
    "facts": {"en": "Facts in force", "zh": "现行事实信息"},
    "fact": {"en": "Fact", "zh": "事实"},
    "observed_on": {"en": "Observed on", "zh": "采集日期"},
    "registry_assessment": {"en": "Assessment from the registry", "zh": "基于登记库数据的评价"},
    "as_of": {"en": "As of", "zh": "评价日期"},
    "missing_data": {"en": "Missing data", "zh": "缺少的数据"},
    "founded": {"en": "Founded", "zh": "成立日期"},
    "upload": {"en": "Upload an import file", "zh": "上传导入文件"},
    "entity": {"en": "Entity (single file)", "zh": "实体（单个文件）"},
    "validate": {"en": "Validate", "zh": "校验"},
    "confirm": {"en": "Confirm import", "zh": "确认导入"},
    "discard": {"en": "Discard", "zh": "放弃"},
    "validation_report": {"en": "Validation report", "zh": "校验报告"},
    "valid_file": {"en": "The file is valid. Nothing is written until you confirm.",
                   "zh": "文件校验通过。确认之前不会写入任何数据。"},
    "invalid_file": {"en": "The file has errors; nothing was written.",
                     "zh": "文件有错误，未写入任何数据。"},
    "import_history": {"en": "Import history", "zh": "导入历史"},
    "sheet_name": {"en": "Sheet (optional)", "zh": "工作表（可选）"},
    "mapping_file": {"en": "Mapping file (YAML, optional)", "zh": "映射文件（YAML，可选）"},
    "mapping_preview": {"en": "How the file was read", "zh": "文件读取方式（映射预览）"},
    "header_row": {"en": "Header row", "zh": "表头行"},
    "import_field": {"en": "Field", "zh": "字段"},
    "unit_factor": {"en": "Unit factor", "zh": "单位换算"},
    "unmapped_columns": {"en": "Columns not imported", "zh": "未导入的列"},
    "first_rows": {"en": "First rows", "zh": "前几行"},
    "import_warnings": {"en": "Skipped (warnings)", "zh": "已跳过（提示）"},
    "errors_kept": {"en": "errors in all; the first are listed", "zh": "处错误，仅列出前面部分"},
    "audit_log": {"en": "Audit log", "zh": "审计日志"},
    "row": {"en": "Row", "zh": "行"},
    "column": {"en": "Column", "zh": "列"},
    "reason": {"en": "Reason", "zh": "原因"},
    "file": {"en": "File", "zh": "文件"},
    "when": {"en": "When", "zh": "时间"},
    "actor": {"en": "Who", "zh": "操作人"},
    "action": {"en": "Action", "zh": "操作"},
    "counts": {"en": "Rows", "zh": "行数"},
    "api_tokens": {"en": "API tokens", "zh": "API 令牌"},
    "new_token": {"en": "Create a token", "zh": "创建令牌"},
    "token_shown_once": {"en": "Copy this token now; it is shown only once.",
                         "zh": "请立即复制此令牌，它只显示一次。"},
    "token_name": {"en": "Name", "zh": "名称"},
    "token_expires": {"en": "Expires (UTC)", "zh": "到期（UTC）"},
    "token_last_used": {"en": "Last used (UTC)", "zh": "最近使用（UTC）"},
    "token_state": {"en": "State", "zh": "状态"},
    "token_active": {"en": "active", "zh": "有效"},
    "token_expired": {"en": "expired", "zh": "已过期"},
    "token_revoked": {"en": "revoked", "zh": "已撤销"},
    "token_revoke": {"en": "Revoke", "zh": "撤销"},
    "token_days": {"en": "Valid for (days)", "zh": "有效期（天）"},
    "users": {"en": "Users", "zh": "用户管理"},
    "user_add": {"en": "Add a user", "zh": "添加用户"},
    "role": {"en": "Role", "zh": "角色"},
    "home_region": {"en": "Home region", "zh": "所属辖区"},
    "all_regions": {"en": "all (the whole deployment)", "zh": "全部（整个部署）"},
    "organisation_uscc": {"en": "Organisation (USCC)", "zh": "所属机构（统一社会信用代码）"},
    "user_active": {"en": "active", "zh": "启用"},
    "user_disabled": {"en": "disabled", "zh": "已停用"},
    "user_disable": {"en": "Disable", "zh": "停用"},
    "user_grant": {"en": "Grant", "zh": "授予"},
    "password_reset": {"en": "Reset password", "zh": "重置密码"},
    "password_change": {"en": "Change your password", "zh": "修改密码"},
    "password_current": {"en": "Current password", "zh": "当前密码"},
    "password_new": {"en": "New password", "zh": "新密码"},
    "password_changed": {"en": "Your password was changed.", "zh": "密码已修改。"},
    "password_rule": {"en": "At least 10 characters of at least two kinds (letters, digits, "
                            "others); not containing the user name.",
                      "zh": "至少 10 个字符，至少包含两类字符（字母、数字、其他符号），"
                            "且不含用户名。"},
    "gii_rank": {"en": "Global Innovation Index rank", "zh": "全球创新指数排名"},
    "synthetic_note": {"en": "Example city: synthetic data calibrated to published totals.",
                       "zh": "示例城市：按公开总数校准的合成数据。"},
    "figures_as_of": {"en": "Figures as of", "zh": "数据截至"},
    "as_of_stale": {"en": "newer data is being computed; reload shortly",
                    "zh": "较新的数据正在计算中，请稍后刷新"},
    "download_html": {"en": "Download HTML", "zh": "下载 HTML"},
    "download_pdf": {"en": "Download PDF", "zh": "下载 PDF"},
    "download_docx": {"en": "Download Word (DOCX)", "zh": "下载 Word（DOCX）"},
    "read_report": {"en": "Read", "zh": "在线阅读"},
    "forbidden": {"en": "You do not have access to this page.", "zh": "您无权访问此页面。"},
    "not_found": {"en": "Not found.", "zh": "未找到。"},
    "err_400": {"en": "Bad request", "zh": "请求有误"},
    "err_403": {"en": "Forbidden", "zh": "无权访问"},
    "err_404": {"en": "Not found", "zh": "未找到"},
    "err_405": {"en": "Method not allowed", "zh": "不支持该请求方式"},
    "err_409": {"en": "Conflict", "zh": "状态冲突"},
    "err_422": {"en": "Invalid input", "zh": "输入无效"},
    "err_500": {"en": "Something went wrong", "zh": "出错了"},
    "err_500_text": {"en": "The server could not answer this request. It has been logged; please "
                           "try again later.",
                     "zh": "服务器未能处理此请求，已记录在案，请稍后再试。"},
    "err_invalid_text": {"en": "Some of the request's values cannot be used:",
                         "zh": "请求中的部分取值无法使用："},
    "err_back": {"en": "Back", "zh": "返回"},
    "by_district": {"en": "By district", "zh": "分区县"},
    "all_years": {"en": "All years", "zh": "全部年份"},
    "language": {"en": "中文", "zh": "English"},
    # marketplace: broker board and contract registration
    "board": {"en": "Broker pipeline", "zh": "经纪人工作台"},
    "broker": {"en": "Broker", "zh": "技术经纪人"},
    "broker_stats": {"en": "Broker statistics", "zh": "经纪人统计"},
    "handled": {"en": "Matches handled", "zh": "经手匹配"},
    "open": {"en": "Open", "zh": "进行中"},
    "conversion": {"en": "Conversion (contracted / closed)", "zh": "成交率（成交/已结束）"},
    "median_days": {"en": "Median days to contract", "zh": "成交天数中位数"},
    "tech_amount": {"en": "Technology transaction amount", "zh": "技术交易额"},
    "no_matches_yet": {"en": "No matches yet.", "zh": "尚无匹配。"},
    "decline_reasons": {"en": "Decline reasons given", "zh": "拒绝原因统计"},
    "decline_reason": {"en": "Reason (needed to decline)", "zh": "原因（拒绝时必填）"},
    "note": {"en": "Note", "zh": "备注"},
    "move": {"en": "Move", "zh": "推进"},
    "propose": {"en": "Propose match", "zh": "提议匹配"},
    "register_contract": {"en": "Register the contract", "zh": "登记技术合同"},
    "seller": {"en": "Seller", "zh": "卖方"},
    "buyer": {"en": "Buyer", "zh": "买方"},
    "contract_invalid": {"en": "The contract was not registered; nothing was written.",
                         "zh": "合同未登记，未写入任何数据。"},
    "registration_no": {"en": "Registration no.", "zh": "登记编号"},
    "contract_type": {"en": "Contract type", "zh": "合同类型"},
    "total_amount": {"en": "Total amount (yuan)", "zh": "合同总额（元）"},
    "non_technical_amount": {"en": "Non-technical part (yuan)", "zh": "非技术性支出（元）"},
    "signed_on": {"en": "Signed on (YYYY-MM-DD)", "zh": "签订日期（YYYY-MM-DD）"},
    "registered_on": {"en": "Registered on (YYYY-MM-DD)", "zh": "登记日期（YYYY-MM-DD）"},
    "contract_note": {"en": "Technology amount = total less the non-technical part (equipment, "
                               "materials, construction); it counts in the technology-market "
                               "indicators of the seller's and buyer's districts.",
                      "zh": "技术交易额 = 合同总额减去非技术性支出（设备、材料、施工等），"
                            "计入卖方和买方所在区（市）的技术市场指标。"},
    "ct_development": {"en": "technology development", "zh": "技术开发"},
    "ct_transfer": {"en": "technology transfer", "zh": "技术转让"},
    "ct_licensing": {"en": "technology licensing", "zh": "技术许可"},
    "ct_consulting": {"en": "technology consulting", "zh": "技术咨询"},
    "ct_service": {"en": "technology service", "zh": "技术服务"},
    "st_proposed": {"en": "proposed", "zh": "已提议"},
    "st_contacted": {"en": "contacted", "zh": "已联系"},
    "st_nda": {"en": "NDA signed", "zh": "已签保密协议"},
    "st_negotiating": {"en": "negotiating", "zh": "洽谈中"},
    "st_contracted": {"en": "contracted", "zh": "已成交"},
    "st_declined": {"en": "declined", "zh": "已拒绝"},
    "mode_hybrid": {"en": "Hybrid matching: BM25 and the semantic model",
                    "zh": "混合匹配：BM25 与语义模型"},
    "mode_bm25": {"en": "Keyword matching (BM25); the semantic model is still loading",
                  "zh": "关键词匹配（BM25）；语义模型仍在加载"},
    # indicators explorer
    "xlsx": {"en": "Download XLSX", "zh": "下载 XLSX"},
    "sdmx": {"en": "Download SDMX-CSV", "zh": "下载 SDMX-CSV"},
    "district_comparison": {"en": "Districts compared", "zh": "各区（市）比较"},
    # briefings: district pace, table and chart downloads, the cultivation pipeline
    "district_pace": {"en": "Pace each district needs", "zh": "各区（市）所需增速"},
    "district": {"en": "District", "zh": "区（市）"},
    "observed_rate": {"en": "Observed growth / yr", "zh": "实际年均增速"},
    "required_rate": {"en": "Required growth / yr", "zh": "所需年均增速"},
    "acceleration": {"en": "Acceleration needed", "zh": "需提速"},
    "goal": {"en": "District goal", "zh": "区（市）目标"},
    "table_xlsx": {"en": "Download this table as XLSX", "zh": "下载本表（XLSX）"},
    "page_xlsx": {"en": "Tables (XLSX)", "zh": "表格（XLSX）"},
    "pipeline": {"en": "Cultivation pipeline", "zh": "培育库"},
    "pipeline_note": {"en": "Registry enterprises nearest a designation, by district: "
                            "first-time candidates and renewals (lapsed or expiring holders) "
                            "apart; every condition that fails, is undecided or lacks data.",
                      "zh": "按区（市）列出最接近认定条件的企业：首次申报与重新认定（已过期或"
                            "即将到期）分列；列出每家企业未通过、待定或缺少数据的全部条件。"},
    "first_candidates": {"en": "First-time candidates", "zh": "首次申报候选企业"},
    "renewals": {"en": "Renewals (lapsed or expiring holders)",
                 "zh": "重新认定（已过期或即将到期）"},
    "kind_all": {"en": "All", "zh": "全部"},
    "pipeline_kind": {"en": "Kind", "zh": "类别"},
    "top_n": {"en": "Top per district", "zh": "每区（市）前"},
    "open_conditions": {"en": "Conditions not met, undecided or lacking data",
                        "zh": "未通过、待定或缺少数据的条件"},
    "cond_failed": {"en": "fails", "zh": "未通过"},
    "cond_undecided": {"en": "undecided", "zh": "待定"},
    "cond_missing": {"en": "lacks data", "zh": "缺少数据"},
    "renewal_lapsed": {"en": "lapsed", "zh": "已过期"},
    "renewal_expiring": {"en": "expiring", "zh": "即将到期"},
    "home_total": {"en": "Whole home region", "zh": "全辖区"},
    "source_indicators": {"en": "computed from the registry's records",
                          "zh": "由登记库明细记录计算"},
    "source_observations": {"en": "recorded statistics", "zh": "已录入的统计数据"},
    "runs": {"en": "runs", "zh": "次模拟"},
    "idx_normalise": {"en": "min-max normalisation to 1–100", "zh": "最小—最大值标准化至 1–100"},
    "idx_aggregate": {"en": "weighted arithmetic mean, equal weights",
                      "zh": "加权算术平均，等权重"},
    "idx_uncertainty": {"en": "uncertainty: weights ±25 %, min-max or z-score, arithmetic or "
                              "geometric mean",
                        "zh": "不确定性分析：权重 ±25%，最小—最大值或 Z 分数标准化，"
                              "算术或几何平均"},
    "rank_interval": {"en": "Rank interval (5–95 %)", "zh": "排名区间（5%–95%）"},
    "rank": {"en": "Rank", "zh": "排名"},
    "illustrative": {"en": "illustrative", "zh": "示意"},
    "shown": {"en": "shown:", "zh": "显示"},
    "bundle_zip": {"en": "(bundle of tables / ZIP)", "zh": "（多表打包 / ZIP 压缩包）"},
    "run_invalid": {"en": "invalid", "zh": "校验未通过"},
    "run_validated": {"en": "validated", "zh": "校验通过"},
    "run_committed": {"en": "imported", "zh": "已导入"},
    "run_discarded": {"en": "discarded", "zh": "已放弃"},
    "record_key": {"en": "Record", "zh": "记录"},
    "operation": {"en": "Operation", "zh": "操作方式"},
    "uscc": {"en": "Unified social credit code", "zh": "统一社会信用代码"},
    "designation_type": {"en": "Designation", "zh": "认定类型"},
    "level": {"en": "Level", "zh": "级别"},
    "code": {"en": "Code", "zh": "编号"},
    "inserted": {"en": "Inserted", "zh": "新增"},
    "updated": {"en": "Updated", "zh": "更新"},
    "unchanged": {"en": "Unchanged", "zh": "未变"},
    "ds_applied": {"en": "applied", "zh": "已申请"},
    "ds_granted": {"en": "granted", "zh": "已认定"},
    "ds_revoked": {"en": "revoked", "zh": "已撤销"},
    "ds_expired": {"en": "expired", "zh": "已过期"},
    "el_passed": {"en": "passed", "zh": "符合"},
    "el_failed": {"en": "failed", "zh": "不符合"},
    "el_insufficient_data": {"en": "insufficient data", "zh": "数据不足"},
    "el_borderline": {"en": "borderline", "zh": "临界"},
    "ps_not_started": {"en": "not started", "zh": "未启动"},
    "ps_in_progress": {"en": "in progress", "zh": "实施中"},
    "ps_completed": {"en": "completed", "zh": "已完成"},
    "ps_delayed": {"en": "delayed", "zh": "延期"},
    "ps_cancelled": {"en": "cancelled", "zh": "已取消"},
    # maps
    "district_map": {"en": "Map by district", "zh": "分区（市）地图"},
    "index_map": {"en": "District index on the map", "zh": "区（市）综合指数地图"},
    "map_notice": {"en": "Schematic boundaries from the ECharts China maps (MIT licence, as "
                         "packaged for pyecharts), shipped with the software; not an approved "
                         "map (a map published in China needs a review number).",
                   "zh": "示意性边界，取自 ECharts 中国地图数据（MIT 许可，pyecharts 打包发布），"
                         "随软件提供；非审定地图（在中国公开出版的地图须取得审图号）。"},
    "median": {"en": "Median forecast", "zh": "预测中位数"},
    # annual report
    "rep_title": {"en": "Annual innovation monitoring report", "zh": "科技创新年度监测报告"},
    "rep_intro": {"en": "Figures as recorded in the observatory database; target statuses use "
                        "the method named beside each one, with data up to the report year.",
                  "zh": "数据取自监测平台数据库；各目标的状态按所注明的方法、"
                        "以截至报告年度的数据评估。"},
    "rep_targets": {"en": "Targets and progress", "zh": "目标与进展"},
    "rep_market": {"en": "Technology market", "zh": "技术市场"},
    "rep_contracts": {"en": "Technology contracts registered (outflow: sellers in the region)",
                      "zh": "登记技术合同（技术输出：卖方在本地区）"},
    "rep_tech_amount": {"en": "Technology transaction amount (outflow; the technical part of "
                              "the contract price)",
                        "zh": "技术交易额（技术输出；合同金额中的技术部分）"},
    "rep_turnover": {"en": "Contract turnover (outflow; the whole contract price)",
                     "zh": "技术合同成交总额（技术输出；合同全部金额）"},
    "rep_inflow_contracts": {"en": "Technology contracts registered (inflow: buyers in the "
                                   "region)",
                             "zh": "登记技术合同（技术吸纳：买方在本地区）"},
    "rep_inflow_amount": {"en": "Technology transaction amount (inflow)",
                          "zh": "技术交易额（技术吸纳）"},
    "rep_achievements_published": {"en": "Achievements published", "zh": "发布科技成果"},
    "rep_demands_published": {"en": "Demands published", "zh": "发布技术需求"},
    "rep_funds_summary": {"en": "Guidance funds (as of 31 December)",
                          "zh": "引导基金（截至12月31日）"},
    "rep_fund_count": {"en": "Funds", "zh": "基金数量"},
    "rep_generated": {"en": "Generated", "zh": "生成时间"},
    "rep_no_targets": {"en": "This plan has no assessed targets.",
                       "zh": "本计划暂无可评估的目标。"},
    "rep_summary": {"en": "Summary", "zh": "综述"},
    "rep_maps": {"en": "Key indicators by district", "zh": "重点指标分区（市）分布"},
    "rep_district_index": {"en": "District innovation index", "zh": "区（市）创新指数"},
    "rep_by_type": {"en": "By contract type", "zh": "按合同类型"},
    # statuses (Open SDG / forecast, Destatis weather)
    "st_target_achieved": {"en": "target achieved", "zh": "已达成"},
    "st_substantial_progress": {"en": "on track", "zh": "进展显著"},
    "st_moderate_progress": {"en": "moderate progress", "zh": "进展一般"},
    "st_limited_progress": {"en": "limited progress", "zh": "进展有限"},
    "st_deterioration": {"en": "moving away", "zh": "倒退"},
    "st_not_available": {"en": "not assessable", "zh": "无法评估"},
    "st_sun": {"en": "sun", "zh": "晴"},
    "st_sun_cloud": {"en": "sun and cloud", "zh": "晴间多云"},
    "st_cloud": {"en": "cloud", "zh": "多云"},
    "st_thunderstorm": {"en": "thunderstorm", "zh": "雷雨"},
    # name resolution's review queue (services/resolution.py, web/routers/review.py)
    "review_queue": {"en": "Names to review", "zh": "名称审核"},
    "review_intro": {"en": "Rows of published lists whose organisation was not resolved for "
                     "sure. Accepting imports the row for the organisation chosen.",
                     "zh": "公开名单中未能确定对应机构的记录。确认后按所选机构导入该行。"},
    "printed_name": {"en": "Name as printed", "zh": "名单所列名称"},
    "candidates": {"en": "Candidates", "zh": "候选机构"},
    "similarity": {"en": "Similarity", "zh": "相似度"},
    "other_uscc": {"en": "or another USCC", "zh": "或填写其他统一社会信用代码"},
    "accept": {"en": "Accept and import", "zh": "确认并导入"},
    "reject": {"en": "Reject", "zh": "驳回"},
    "decision": {"en": "Decision", "zh": "判定"},
    "nothing_queued": {"en": "Nothing here.", "zh": "暂无记录。"},
    "region_fits": {"en": "region fits", "zh": "地区相符"},
}


# Units as the catalogue and observations name them, in words for each language.
UNITS: dict[str, dict[str, str]] = {
    "yuan": {"en": "yuan", "zh": "元"},
    "enterprises per 10000 residents": {"en": "enterprises per 10,000 residents",
                                        "zh": "家/万人"},
    "platforms per 10000 residents": {"en": "platforms per 10,000 residents", "zh": "个/万人"},
    "contracts per 10000 residents": {"en": "contracts per 10,000 residents", "zh": "项/万人"},
    "enterprises": {"en": "enterprises", "zh": "家"},
    "persons": {"en": "persons", "zh": "人"},
    "platforms": {"en": "platforms", "zh": "个"},
    "projects": {"en": "projects", "zh": "项"},
    "contracts": {"en": "contracts", "zh": "项"},
    "achievements": {"en": "achievements", "zh": "项"},
    "investments": {"en": "investments", "zh": "笔"},
    "funds": {"en": "funds", "zh": "只"},
    "pieces": {"en": "pieces", "zh": "件"},
    "percent": {"en": "%", "zh": "%"},
    "rank": {"en": "rank", "zh": "位"},
    "times": {"en": "times", "zh": "倍"},
    "m2": {"en": "m²", "zh": "平方米"},
    "production lines": {"en": "production lines", "zh": "条"},
    "tce per 10000 yuan": {"en": "tce per 10,000 yuan", "zh": "吨标准煤/万元"},
    "tce per 10,000 yuan": {"en": "tce per 10,000 yuan", "zh": "吨标准煤/万元"},
    "yuan per fund": {"en": "yuan per fund", "zh": "元/只"},
    "yuan per contract": {"en": "yuan per contract", "zh": "元/项"},
    "points": {"en": "points", "zh": "分"},
    "score": {"en": "score (1–100)", "zh": "得分（1–100）"},
}


ROLES: dict[str, dict[str, str]] = {
    "admin": {"en": "administrator", "zh": "管理员"},
    "analyst": {"en": "analyst", "zh": "分析员"},
    "fund_manager": {"en": "fund manager", "zh": "基金管理人"},
    "broker": {"en": "technology broker", "zh": "技术经纪人"},
    "enterprise": {"en": "enterprise user", "zh": "企业用户"},
    "public": {"en": "public", "zh": "公众"},
    "anonymous": {"en": "visitor", "zh": "访客"},
}
CODE_LIKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@functools.cache
def _terms() -> dict[str, dict[str, str]]:
    """Every vocabulary term's names by code (registry/data/vocabularies.yaml), read once."""
    text = resources.files("observatory.registry").joinpath(
        "data", "vocabularies.yaml").read_text(encoding="utf-8")
    out: dict[str, dict[str, str]] = {}
    for scheme, body in yaml.safe_load(text).items():
        out.setdefault(scheme, {"en": body["name_en"], "zh": body["name_zh"]})
        for term in body.get("terms", []):
            out.setdefault(str(term["code"]), {"en": term["name_en"], "zh": term["name_zh"]})
    return out


def term_label(code: Any, lang: str) -> Any:
    """A vocabulary term (field, designation type, level, contract type...) or a role in words;
    anything else is returned as it is."""
    if not isinstance(code, str):
        return code
    names = _terms().get(code) or ROLES.get(code)
    return names[lang if lang in LANGS else "en"] if names else code


ENTITIES: dict[str, dict[str, str]] = {
    "achievements": {"en": "achievements", "zh": "科技成果"},
    "broker_qualifications": {"en": "broker qualifications", "zh": "技术经纪人资格"},
    "demands": {"en": "technology demands", "zh": "技术需求"},
    "designations": {"en": "designations", "zh": "资质认定"},
    "employments": {"en": "employments", "zh": "任职记录"},
    "fund_cash_flows": {"en": "fund cash flows", "zh": "基金现金流"},
    "fund_commitments": {"en": "fund commitments", "zh": "基金认缴出资"},
    "fund_investments": {"en": "fund investments", "zh": "基金投资"},
    "fund_valuations": {"en": "fund valuations", "zh": "基金估值"},
    "funds": {"en": "funds", "zh": "基金"},
    "observations": {"en": "statistics", "zh": "统计数据"},
    "organisation_facts": {"en": "organisation facts", "zh": "机构事实信息"},
    "organisation_names": {"en": "former names of organisations", "zh": "机构曾用名"},
    "fairs": {"en": "fairs", "zh": "对接会"},
    "fair_matches": {"en": "pairs at fairs", "zh": "对接会配对"},
    "name_reviews": {"en": "names to review", "zh": "待复核名称"},
    "organisation_years": {"en": "organisation yearly figures", "zh": "机构年度数据"},
    "organisations": {"en": "organisations", "zh": "机构"},
    "persons": {"en": "persons", "zh": "人员"},
    "plan_items": {"en": "plan items", "zh": "规划事项"},
    "plans": {"en": "plans", "zh": "规划计划"},
    "platform_links": {"en": "platform links", "zh": "平台依托关系"},
    "platforms": {"en": "platforms", "zh": "创新平台"},
    "project_participants": {"en": "project participants", "zh": "项目参与单位"},
    "projects": {"en": "projects", "zh": "科技项目"},
    "rd_expenditures": {"en": "R&D expenditures", "zh": "研发经费"},
    "regions": {"en": "regions", "zh": "行政区划"},
    "sources": {"en": "sources", "zh": "数据来源"},
    "talent_recruitments": {"en": "talent recruitments", "zh": "人才引进"},
    "targets": {"en": "targets", "zh": "目标"},
    "technology_contracts": {"en": "technology contracts", "zh": "技术合同"},
    "vocab_schemes": {"en": "vocabularies", "zh": "词表"},
    "vocab_terms": {"en": "vocabulary terms", "zh": "词表条目"},
    "accounts": {"en": "accounts", "zh": "账户"},
    "matches": {"en": "matches", "zh": "匹配"},
    "web_users": {"en": "user accounts", "zh": "用户账户"},
    "api_tokens": {"en": "API tokens", "zh": "API 令牌"},
}


def entity_label(entity: str | None, lang: str) -> str:
    """A kind of record (an import file, an audited table) in words."""
    names = ENTITIES.get(entity or "")
    return names[lang if lang in LANGS else "en"] if names else (entity or "")


def role_label(role: str | None, lang: str) -> str:
    """A user's role in words."""
    names = ROLES.get(role or "")
    return names[lang if lang in LANGS else "en"] if names else (role or "")


def text_lang(text: str | None) -> str:
    """The language a stored text is written in (for ``lang`` attributes): Chinese if it has
    any CJK character, else English."""
    return "zh" if text and re.search(r"[\u4e00-\u9fff]", text) else "en"


def is_code(value: Any) -> bool:
    """Whether a value reads as an identifier (``marine_bio``, ``granted``): shown as code."""
    return isinstance(value, str) and bool(CODE_LIKE.match(value))


def unit_label(unit: str | None, lang: str) -> str:
    """A unit in words in ``lang``; an unknown unit shows as recorded."""
    if not unit:
        return ""
    return UNITS.get(unit, {}).get(lang if lang in LANGS else "en", unit)


def t(key: str, lang: str) -> str:
    """The phrase ``key`` in ``lang``; an unknown key is a programming error."""
    return CATALOGUE[key][lang if lang in LANGS else "en"]


def pick(lang: str, zh: str | None, en: str | None) -> str:
    """A record's name in ``lang``, falling back to the other language."""
    first, second = (zh, en) if lang == "zh" else (en, zh)
    return first or second or ""


def fmt_number(value: float | Decimal | int | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALES[lang])


def fmt_percent(value: float | None, lang: str, digits: int = 0) -> str:
    """A share (0.25) as a percentage (25 %), rounded to ``digits`` decimals."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value, format=pattern, locale=LOCALES[lang])


def fmt_date(value: dt.date | None, lang: str) -> str:
    if value is None:
        return "—"
    return format_date(value, format="medium", locale=LOCALES[lang])


def fmt_yuan(value: float | Decimal | None, lang: str) -> str:
    """Yuan in the units readers use: 亿元 / 万元 in Chinese, bn / m yuan in English."""
    if value is None:
        return "—"
    v = float(value)
    if lang == "zh":
        if abs(v) >= 1e8:
            return f"{fmt_number(v / 1e8, lang, 2)} 亿元"
        if abs(v) >= 1e4:
            return f"{fmt_number(v / 1e4, lang, 1)} 万元"
        return f"{fmt_number(v, lang)} 元"
    if abs(v) >= 1e9:
        return f"{fmt_number(v / 1e9, lang, 2)} bn yuan"
    if abs(v) >= 1e6:
        return f"{fmt_number(v / 1e6, lang, 1)} m yuan"
    return f"{fmt_number(v, lang)} yuan"


PER_UNIT_ZH = {"contract": "项合同", "fund": "只基金", "enterprise": "家企业", "project": "个项目"}


def fmt_value(value: float | None, unit: str | None, lang: str) -> str:
    """A statistic with its unit; yuan amounts scaled (亿元 / bn yuan), others with sensible
    decimals."""
    if value is None:
        return "—"
    if unit == "yuan":
        return fmt_yuan(value, lang)
    if unit and unit.startswith("yuan per "):
        per = unit.removeprefix("yuan per ")
        if lang == "zh":
            return f"{fmt_yuan(value, lang)}/{PER_UNIT_ZH.get(per, per)}"
        return f"{fmt_yuan(value, lang)} per {per.removesuffix('s')}"
    digits = 0 if float(value).is_integer() or abs(value) >= 100 else 2
    text = fmt_number(value, lang, digits)
    return f"{text} {unit_label(unit, lang)}" if unit else text


def fmt_amount(value: float | Decimal | None, unit: str | None, lang: str) -> str:
    """A figure in a table whose unit is shown beside it: yuan scaled (亿元 / bn yuan), other
    numbers with thousands separators, whole numbers without decimals and others with two."""
    if value is None:
        return "—"
    if unit and unit.startswith("yuan"):
        return fmt_value(float(value), unit, lang)
    return fmt_number(value, lang, 0 if float(value).is_integer() else 2)


def yuan_scale(values: list[float | None], lang: str) -> tuple[float, str]:
    """Divisor and unit label for a chart axis of yuan amounts, in the readers' units."""
    top = max((abs(v) for v in values if v is not None), default=0.0)
    if lang == "zh":
        return (1e8, "亿元") if top >= 1e8 else (1e4, "万元") if top >= 1e4 else (1.0, "元")
    return (1e9, "bn yuan") if top >= 1e9 else (1e6, "m yuan") if top >= 1e6 else (1.0, "yuan")


METHODS: dict[str, dict[str, str]] = {
    "forecast": {"en": "forecast (probability by simulation)", "zh": "预测法（模拟概率）"},
    "opensdg": {"en": "Open SDG growth-rate method", "zh": "可持续发展目标增长率评估法"},
    "weather": {"en": "Destatis weather symbols", "zh": "德国统计局天气符号法"},
}


def method_label(method: str | None, lang: str) -> str:
    """A progress method's name in ``lang``; an unknown method shows as recorded."""
    if not method:
        return "—"
    return METHODS.get(method, {}).get(lang if lang in LANGS else "en", method)


def status_label(status: str, lang: str) -> str:
    """A progress status in words; unknown statuses show as they are."""
    key = f"st_{status}"
    return t(key, lang) if key in CATALOGUE else status


def fmt_measure(value: Any, unit: str, lang: str, signed: bool = False) -> str:
    """A value in its rule-pack unit for a sentence: yuan as m yuan in English and 万元 in
    Chinese (as the designation rules state amounts), a (low, high) range as "low–high".

    >>> fmt_measure(2_500_000, "yuan", "zh"), fmt_measure(0.031, "percent", "en", signed=True)
    ('250.00万元', '+3.10%')
    """
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or unit == "bool":
        return ("yes" if value else "no") if lang == "en" else ("是" if value else "否")
    if isinstance(value, str) or unit == "text":
        return str(value)
    if isinstance(value, tuple):
        lo, hi = value
        if lo == hi:
            return fmt_measure(lo, unit, lang, signed)
        return f"{fmt_measure(lo, 'count', lang)}–{fmt_measure(hi, unit, lang)}"
    v = float(value)
    sign = ("+" if v >= 0 else "−") if signed else ("−" if v < 0 else "")
    a = abs(v)
    if unit == "percent":
        text = f"{a * 100:.2f}%"
    elif unit == "yuan" and 0 < a < 10_000:  # below what "0.01 m yuan" / "1.00万元" shows
        text = f"{a:,.0f} yuan" if lang == "en" else f"{a:,.0f}元"
    elif unit == "yuan":
        text = f"{a / 1e6:,.2f} m yuan" if lang == "en" else f"{a / 1e4:,.2f}万元"
    elif unit == "usd":
        text = f"US${a / 1e6:,.1f} m" if lang == "en" else f"{a / 1e8:,.2f}亿美元"
    elif unit == "days":
        text = f"{a:.0f} days" if lang == "en" else f"{a:.0f}天"
    elif unit == "years":
        text = f"{a:g} years" if lang == "en" else f"{a:g}年"
    elif unit == "points":
        text = f"{a:g} points" if lang == "en" else f"{a:g}分"
    elif unit == "ratio":
        text = f"{a:.2f}×"
    else:
        text = f"{a:.0f}" if a == int(a) else f"{a:.2f}"
    return sign + text
