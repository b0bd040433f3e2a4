"""UI strings of the register import page, and the register validator's problems in Chinese.

The validator (``occupancy.register``) words its problems in English for the CLI and the API;
``regerr.*`` are the same sentences in Chinese, matched by ``register_pages.problem_text``.
Placeholders carry what the English sentence carried (row numbers, limits, names).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "register.import.title": "导入入住登记表",
        "register.import.lead": "上传 Excel（.xlsx）或 CSV 文件，表头可以是中文或英文。"
        "文件先完整检查：只要有一处错误，就不会导入任何数据。",
        "register.import.file": "登记表文件",
        "register.import.sheet": "工作表名称（可选，默认第一个）",
        "register.import.skip_bad": "有错误的行跳过，只导入正确的行",
        "register.import.simulated": "标记为模拟数据（仅管理员）",
        "register.import.submit": "检查并导入",
        "register.import.limit": "文件最大 {mb} MB（约可容纳数十万行）。",
        "register.import.headers": "可用表头",
        "register.import.refused": "文件《{file}》中有 {count} 处问题，没有导入任何数据。",
        "register.import.refused_hint": "请按下表逐一修改后重新上传。",
        "register.import.valid_rows": "其余 {valid} 行没有问题。",
        "register.import.skip_offer": "只导入这 {valid} 行正确的数据，跳过有问题的 {bad} 行",
        "register.import.skip_kept": "上传的文件在服务器上临时保存 {minutes} 分钟，供此按钮使用。",
        "register.import.col.row": "行",
        "register.import.col.column": "列",
        "register.import.col.value": "单元格内容",
        "register.import.col.problem": "问题",
        "register.import.whole_file": "整个文件",
        "register.import.warnings": "提示",
        "register.import.done": "已导入《{file}》：新增 {created} 户，更新 {updated} 户，"
        "{unchanged} 户无变化。",
        "register.import.skipped": "跳过了 {count} 行有问题的数据（见下表），"
        "修改后重新导入即可补上。",
        "register.import.again": "再导入一个文件",
        "register.import.no_file": "请选择要上传的文件。",
        "register.import.too_large": "文件超过 {mb} MB，无法导入。请检查是否选错了文件，"
        "或把登记表拆成几个文件分别导入。",
        "register.import.expired": "上传的文件已过期（超过 {minutes} 分钟）或已经导入，"
        "请重新选择文件并勾选“只导入正确的行”。",
        "register.import.simulated_admin": "只有管理员可以导入模拟数据。",
        "register.import.changed": "导入过程中登记表被他人修改（同时有人导入了相同的新单元），"
        "没有导入任何数据。请重新上传该文件。",
        "register.import.not_kept": "服务器上临时保存的文件已达上限，无法临时保存此文件，"
        "因此不能“只导入正确的行”。请按下表修改后重新上传，或稍后再试。",
        "regerr.unit_id_empty": "为空；每一行都需要填写单元编号",
        "regerr.community_empty": "为空；每一行都需要填写社区名称",
        "regerr.topic_unsafe": "含有 {chars}，这些字符不能使用（该名称会成为 MQTT 主题的一部分）；"
        "请改为 - 或删除",
        "regerr.too_long": "长 {length} 个字符；请缩短到不超过 {limit} 个字符",
        "regerr.occupants_not_number": "不是整数人数（无人居住请填 0）",
        "regerr.occupants_empty": "为空；请填写登记人数（无人居住请填 0）",
        "regerr.occupants_negative": "是负数；请填写登记人数（无人居住请填 0）",
        "regerr.occupants_too_many": "超过一户可能的人数（最多 {limit}）；请检查是否填到了错误的列",
        "regerr.not_yes_no": "不是“是/否”；请填 是/否、1/0、Y/N、yes/no 或 true/false"
        "（空白表示否）",
        "regerr.number_not_date": "是数字而不是日期；请在 Excel 中把单元格设为日期格式，"
        "或写成 2024-03-05",
        "regerr.not_date": "不是日期；请写成 2024-03-05、2024/3/5 或 2024年3月5日，"
        "或使用 Excel 的日期单元格",
        "regerr.not_calendar_day": "不是日历上存在的日期；请检查月份和日",
        "regerr.implausible_year": "不是合理的日期（{year} 年）；请检查年份",
        "regerr.move_out_before_in": "早于入住日期 {date}（{letter} 列“{header}”）；"
        "请检查这两个日期",
        "regerr.repeated_unit": "已在第 {row} 行出现过；每个单元只能出现一次，请合并或删除其中一行",
        "regerr.column_missing": "缺少必填列；请添加表头 {names}",
        "regerr.column_repeated": "与列“{first}”重复（都表示 {field}）；请只保留一列",
        "regerr.file_empty": "文件是空的",
        "regerr.xls": "这是旧版 Excel .xls 文件；请在 Excel 中“另存为”→“Excel 工作簿 (*.xlsx)”",
        "regerr.csv_no_sheets": "文件是 CSV，没有工作表；工作表名称“{sheet}”只适用于 .xlsx 文件",
        "regerr.encoding": "文件既不是 UTF-8 也不是 GB18030 编码的文本；请在 Excel 中“另存为”→"
        "“CSV UTF-8（逗号分隔）”",
        "regerr.bad_csv": '不是可读的 CSV（{detail}）；请检查是否有未配对的引号（"）',
        "regerr.bad_xlsx": "文件不是可读的 .xlsx 工作簿（{detail}）",
        "regerr.no_worksheet": "工作簿中没有工作表",
        "regerr.no_such_sheet": "工作簿中没有名为“{sheet}”的工作表；现有工作表：{names}",
        "regerr.other_community": "不是你的社区；你只能导入“{community}”的行",
        "regerr.unit_elsewhere": "已登记在其他社区；只有管理员可以把它移到你的社区",
        "regerr.ignored_column": "{letter} 列“{text}”不是登记表的列，已忽略",
        "regerr.unsaved_formula": "是没有保存计算结果的公式；请用 Excel 或 WPS 打开文件并重新保存",
        "regerr.far_too_long": "有 {length} 个字符，远超此列的长度；请检查是否填错了列",
        "regerr.control_chars": "含有控制字符 {chars}；请删除后重新输入",
        "regerr.expands": "工作簿打开后有 {mb} MB，远超登记表所需；"
        "请用 Excel 或 WPS 重新保存或拆分",
        "regerr.too_many_units": "文件超过 {limit} 户；请拆分成每个不超过 {rows} 行的文件",
        "regerr.past_last_row": "工作表超过第 {limit} 行（Excel 的最后一行）；请重新保存后再试",
        "regerr.more_problems": "从这一行起还有 {count} 处问题未列出（只列出前 {limit} 处）；"
        "请修改后重新检查",
        "regerr.first_sheet": "读取的是第一个工作表“{first}”（全部工作表：{names}）；"
        "如果登记表在其他工作表上，请填写工作表名称",
    },
    "en": {
        "register.import.title": "Import the move-in register",
        "register.import.lead": "Upload an Excel (.xlsx) or CSV file with Chinese or English "
        "headers. The whole file is checked first: if anything is wrong, nothing is imported.",
        "register.import.file": "Register file",
        "register.import.sheet": "Worksheet (optional, default: the first)",
        "register.import.skip_bad": "Skip rows with problems and import only the valid rows",
        "register.import.simulated": "Mark as simulated data (admins only)",
        "register.import.submit": "Check and import",
        "register.import.limit": "Files up to {mb} MB (hundreds of thousands of rows).",
        "register.import.headers": "Accepted headers",
        "register.import.refused": "{count} problems in {file}; nothing was imported.",
        "register.import.refused_hint": "Fix each cell listed below and upload the file again.",
        "register.import.valid_rows": "The other {valid} rows are fine.",
        "register.import.skip_offer": "Import only the {valid} valid rows, skipping the {bad} "
        "rows with problems",
        "register.import.skip_kept": "The uploaded file is kept on the server for {minutes} "
        "minutes for this button.",
        "register.import.col.row": "Row",
        "register.import.col.column": "Column",
        "register.import.col.value": "Cell",
        "register.import.col.problem": "Problem",
        "register.import.whole_file": "whole file",
        "register.import.warnings": "Notes",
        "register.import.done": "Imported {file}: {created} created, {updated} updated, "
        "{unchanged} unchanged.",
        "register.import.skipped": "{count} rows with problems were skipped (listed below); "
        "fix them and import the file again to add them.",
        "register.import.again": "Import another file",
        "register.import.no_file": "Choose a file to upload.",
        "register.import.too_large": "The file is larger than {mb} MB and was not imported. "
        "Check it is the right file, or split the register into several files.",
        "register.import.expired": "The uploaded file has expired (after {minutes} minutes) or "
        'was already imported; choose the file again and tick "import only the valid rows".',
        "register.import.simulated_admin": "Only admins may import simulated data.",
        "register.import.changed": "The register changed while this file was being imported "
        "(someone imported the same new units at the same time); nothing was imported. "
        "Upload the file again.",
        "register.import.not_kept": "The file could not be kept on the server (too many "
        "uploads are kept right now), so importing only the valid rows is not offered. Fix "
        "the cells listed below and upload the file again, or try again later.",
        "regerr.unit_id_empty": "is empty; every row needs the unit's ID",
        "regerr.community_empty": "is empty; every row needs the community name",
        "regerr.topic_unsafe": "contains {chars}, which cannot be used because this name "
        "becomes part of MQTT topics; replace it with - or remove it",
        "regerr.too_long": "is {length} characters long; shorten it to at most {limit}",
        "regerr.occupants_not_number": "is not a whole number of people (use 0 for nobody)",
        "regerr.occupants_empty": "is empty; enter the number of people registered "
        "(use 0 for nobody)",
        "regerr.occupants_negative": "is negative; enter the number of people registered "
        "(use 0 for nobody)",
        "regerr.occupants_too_many": "is more people than a home can hold (at most {limit}); "
        "check the value was typed into the right column",
        "regerr.not_yes_no": "is not yes or no; use 1/0, true/false, yes/no, Y/N or 是/否 "
        "(empty means no)",
        "regerr.number_not_date": "is a number, not a date; format the cell as a date in "
        "Excel, or type it as 2024-03-05",
        "regerr.not_date": "is not a date; use a date like 2024-03-05, 2024/3/5 or "
        "2024年3月5日, or an Excel date cell",
        "regerr.not_calendar_day": "is not a day of the calendar; check the month and the day",
        "regerr.implausible_year": "is not a plausible date (year {year}); check the year",
        "regerr.move_out_before_in": "is before the move-in date {date} in column {letter} "
        "({header}); check both dates",
        "regerr.repeated_unit": "already appears in row {row}; each unit may appear once, "
        "so merge or delete one of the rows",
        "regerr.column_missing": "required column is missing; add a header named {names}",
        "regerr.column_repeated": 'repeats column "{first}" (both mean {field}); keep only one',
        "regerr.file_empty": "the file is empty",
        "regerr.xls": "the file is an old Excel .xls file; in Excel use Save As → "
        '"Excel Workbook (*.xlsx)"',
        "regerr.csv_no_sheets": 'the file is CSV, which has no sheets; "{sheet}" applies to '
        ".xlsx workbooks only",
        "regerr.encoding": "the file is neither UTF-8 nor GB18030 text; in Excel use Save As → "
        '"CSV UTF-8 (Comma delimited)"',
        "regerr.bad_csv": "is not readable CSV ({detail}); check for an unmatched quote "
        'character (")',
        "regerr.bad_xlsx": "the file is not a readable .xlsx workbook ({detail})",
        "regerr.no_worksheet": "the workbook has no worksheet",
        "regerr.no_such_sheet": 'the workbook has no sheet named "{sheet}"; its sheets are {names}',
        "regerr.other_community": "is not your community; you may import only rows of {community}",
        "regerr.unit_elsewhere": "is registered in another community; only an administrator "
        "can move it",
        "regerr.ignored_column": 'column {letter} "{text}" is not a register column and was '
        "ignored",
        "regerr.unsaved_formula": "has a formula without a saved value; open the file in Excel or "
        "WPS and save it again, so the results are stored in it",
        "regerr.far_too_long": "is {length} characters long, far too long for this column; check "
        "the value was typed into the right column",
        "regerr.control_chars": "contains the control character(s) {chars}; retype the cell "
        "without them",
        "regerr.expands": "the workbook expands to {mb} MB when opened, far more than a register "
        "needs; save it again in Excel or WPS, or split it",
        "regerr.too_many_units": "the file has more than {limit} units; split it into files of "
        "at most {rows} rows",
        "regerr.past_last_row": "the sheet has rows past row {limit}, the last one Excel has; "
        "open the file in Excel or WPS, save it again and retry",
        "regerr.more_problems": "and {count} more problems from this row on, not listed (only "
        "the first {limit} are); fix these and check the file again",
        "regerr.first_sheet": 'read the first sheet, "{first}", of {names}; if the register is '
        "on another sheet, name that sheet",
    },
}
