"""Strings of the navigation bar every signed-in page shows."""

MESSAGES = {
    "zh-CN": {
        "nav.label": "主导航",
        "nav.worklist": "走访清单",
        "nav.register": "登记导入",
        "nav.audit": "审计记录",
        "nav.users": "账号管理",
        "nav.logout": "退出登录",
        "role.admin": "管理员",
        "role.secretary": "社区书记",
        "role.grid_worker": "网格员",
        "role.tester": "测试员",
        "flag.details": "详情与处理",
        "communities.dashboard": "统计看板",
    },
    "en": {
        "nav.label": "Main navigation",
        "nav.worklist": "Door-knock list",
        "nav.register": "Register import",
        "nav.audit": "Audit log",
        "nav.users": "Accounts",
        "nav.logout": "Sign out",
        "role.admin": "Administrator",
        "role.secretary": "Community secretary",
        "role.grid_worker": "Grid worker",
        "role.tester": "Tester",
        "flag.details": "Details and actions",
        "communities.dashboard": "Dashboard",
    },
}
