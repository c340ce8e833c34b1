"""Who may do what is declared once (access.py): the grids, the steps, the models' own checks
and the README all follow that one declaration, so they cannot drift apart."""
import os

import pytest

import access
from conftest import ROLES, csrf_token
from database import write_transaction
from models import CorrectiveAction, Department, DomainError, Survey, SurveyDistribution, User
from views import role_tables
from flows.scopes import HUB_ROLES, STEP_SCOPES, write_scope

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- role tables: made by `python app.py role-table` from access.py"
END = "<!-- end of role tables -->"


def demo_user(username):
    return User.get(User.username == username)


def grids(app):
    return [view for view in app.extensions["admin"][0]._views if getattr(view, "model", None)]


def test_readme_role_tables_are_the_ones_made_from_the_declaration(app):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    assert BEGIN in readme and END in readme, "README lost its role tables"
    block = readme.split(BEGIN, 1)[1].split("\n", 1)[1].split(END, 1)[0]
    assert block == role_tables(app.extensions["admin"][0]), \
        "README's role tables differ from access.py: paste `python app.py role-table`"


def test_role_table_command_prints_the_tables(app, runner):
    result = runner.invoke(args=["role-table"])
    assert result.exit_code == 0, result.output
    assert result.output == role_tables(app.extensions["admin"][0])
    assert "| 满意度调查方案：发放问卷 `distribute` | ✓ | ✓ |  | ✓ |" in result.output


def test_every_declared_register_and_step_has_its_grid_and_button(app):
    """A declaration nobody reads would be a table that lies: every register and step named in
    access.py is a grid and a step of the console, and the other way round."""
    views = {view.model.__name__: view for view in grids(app)}
    assert set(views) == set(access.REGISTERS)
    for register, steps in access.STEPS.items():
        assert {step.name for step in views[register].steps} == set(steps), register
    for view in views.values():
        granted = access.grant(view.model.__name__)
        assert (view.read_roles, view.write_roles) == (granted.read, granted.write)
        for step in view.steps:
            assert step.roles == access.step_roles(view.model.__name__, step.name)


def test_the_auditor_writes_nothing_whatever_a_declaration_says():
    assert access.Grant(access.EVERYONE, access.EVERYONE).write == access.EVERYONE - {access.AU}
    assert all(access.AU not in grant.write for grant in access.REGISTERS.values())
    assert all(access.AU not in access.step_roles(register, step)
               for register, steps in access.STEPS.items() for step in steps)


@pytest.mark.parametrize("username", ROLES)
def test_each_role_opens_exactly_the_grids_declared_for_it(app, login, username):
    client = login(username)
    with app.app_context():
        roles = demo_user(username).role_set
    for view in grids(app):
        status = client.get(f"/admin/{view.endpoint}/").status_code
        expected = 200 if roles & access.grant(view.model.__name__).read else 403
        assert status == expected, (username, view.endpoint, status)


def record_for(model, user):
    """A record of `model` this user may act on by department (any record for hub roles): a
    step's default scope is where the department may write (a letter: only its own)."""
    query = model.select().order_by(model.id)
    if not user.has_role(*HUB_ROLES):
        scope = write_scope(model, user.department_id, user.id)
        if scope is not None:
            query = query.where(scope)
    return query.first()


@pytest.mark.parametrize("username", ROLES)
def test_each_role_takes_exactly_the_steps_declared_for_it(app, login, username):
    """Opening a step (its form, or its button's place on the record) is refused with 403
    exactly when access.STEPS does not give the step to the user's role."""
    client = login(username)
    checked = 0
    for view in grids(app):
        for step in view.steps:
            with app.app_context():
                user = demo_user(username)
                record = record_for(view.model, user)
                allowed = bool(user.role_set & access.step_roles(view.model.__name__, step.name))
                if allowed and (view.model, step.name) in STEP_SCOPES and not user.has_role(*HUB_ROLES):
                    continue  # narrower than the role (e.g. operations verifies): tested below
            if record is None:
                continue
            status = client.get(f"/admin/{view.endpoint}/step/{step.name}/?id={record.id}").status_code
            assert (status == 403) == (not allowed), (username, view.endpoint, step.name, status)
            checked += 1
    assert checked > 40, checked


def running_survey():
    survey = Survey.select().where(Survey.status == Survey.RUNNING).first()
    assert survey is not None, "the demo has a running survey"
    return survey


def test_property_staff_cannot_hand_out_questionnaires(app, login):
    """README gives department staff read-only on survey plans: 发放问卷 is the planners'."""
    with app.app_context():
        survey = running_survey()
        before = SurveyDistribution.select().count()
    staff = login("property")
    url = f"/admin/survey/step/distribute/?id={survey.id}"
    page = staff.get(f"/admin/survey/details/?id={survey.id}")
    assert page.status_code == 200 and "发放问卷" not in page.text
    response = staff.post(url, data={"csrf_token": csrf_token(page.text), "kinds": "tenant"})
    assert response.status_code == 403
    with app.app_context():
        assert SurveyDistribution.select().count() == before
    clerk = login("clerk")
    assert clerk.get(url).status_code == 200  # the planners still can


def done_action():
    with write_transaction():
        action = CorrectiveAction.select().order_by(CorrectiveAction.id).first()
        CorrectiveAction.update(status=CorrectiveAction.DONE, verified_at=None).where(
            CorrectiveAction.id == action.id).execute()
    return CorrectiveAction.get_by_id(action.id)


def test_the_general_manager_cannot_verify_a_corrective_action(app, login):
    """Operations verifies corrective actions (R-SUR-5); the general manager does not, neither
    by the button nor by calling the model."""
    with app.app_context():
        action = done_action()
    gm = login("gm")
    page = gm.get(f"/admin/correctiveaction/details/?id={action.id}")
    assert page.status_code == 200 and "验证不通过" not in page.text
    response = gm.post(f"/admin/correctiveaction/step/verify/?id={action.id}",
                       data={"csrf_token": csrf_token(page.text), "evidence": "现场查看"})
    assert response.status_code == 403
    with app.app_context():
        assert CorrectiveAction.get_by_id(action.id).status == CorrectiveAction.DONE
        with pytest.raises(DomainError, match="营运部"), write_transaction():
            action.verify(demo_user("gm"), app.config["KEFU_FIXED_NOW"], "现场查看")
        assert CorrectiveAction.get_by_id(action.id).status == CorrectiveAction.DONE


def test_the_operations_manager_verifies_a_corrective_action(app, login):
    with app.app_context():
        action = done_action()
        assert demo_user("ops").department.code == Department.OPERATIONS
    ops = login("ops")
    response = ops.submit(f"/admin/correctiveaction/step/verify/?id={action.id}",
                          {"evidence": "现场查看，已整改"})
    assert response.status_code == 302
    with app.app_context():
        assert CorrectiveAction.get_by_id(action.id).status == CorrectiveAction.VERIFIED


def test_a_records_page_links_only_to_pages_the_role_may_open(app, login):
    """Department staff read survey plans but not their distribution records: the plan's page
    offers them no 发放记录 button leading to a 403 (a planner still gets it)."""
    with app.app_context():
        survey = running_survey()
    url = f"/admin/survey/details/?id={survey.id}"
    staff_page = login("property").get(url).text
    assert "问卷题目" in staff_page and "发放记录" not in staff_page
    assert "/admin/surveydistribution/" not in staff_page
    assert "发放记录" in login("clerk").get(url).text


@pytest.mark.parametrize("username", ROLES)
def test_no_link_on_a_records_page_leads_a_role_to_a_refusal(app, login, username):
    """Every link on every register's record page (menus, buttons, related records) opens for
    the role that was shown it: what a role may not open is not offered."""
    import re
    client = login(username)
    followed, refused = set(), []
    for view in grids(app):
        with app.app_context():
            record = view.model.select().order_by(view.model.id.desc()).first()
        if record is None:
            continue
        page = client.get(f"/admin/{view.endpoint}/details/?id={record.id}")
        if page.status_code != 200:
            continue
        for href in re.findall(r'href="(/admin/[^"]*)"', page.text):
            href = href.replace("&amp;", "&")
            target = href.split("?")[0]
            if target in followed or "/export/" in href:
                continue
            followed.add(target)
            if client.get(href).status_code == 403:
                refused.append((view.endpoint, href))
    assert followed and not refused, refused
