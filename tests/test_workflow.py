"""Each register's workflow is declared once (workflow.py): the model's steps, the buttons, the
open states, the overdue filters and the README follow that declaration, and no other place
restates a transition's states."""
import ast
import os

import pytest

import access
import models
import workflow
from conftest import DEMO_NOW
from database import write_transaction
from models import Deadline, Department, RepairOrder, User
from views.reception import RepairOrderView
from views.steps import Step

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- workflow tables: made by `python app.py workflow-table` from workflow.py"
END = "<!-- end of workflow tables -->"
FLOWS = list(workflow.WORKFLOWS.values())
# Steps the base register implements for every register (Register.hold / Register.release).
ON_HOLD = {"hold", "release"}


def model_of(flow):
    return getattr(models, flow.register)


def views_by_register(app):
    return {view.model.__name__: view for view in app.extensions["admin"][0]._views
            if getattr(view, "model", None) is not None}


def test_readme_workflow_tables_are_the_ones_made_from_the_declaration():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    assert BEGIN in readme and END in readme, "README lost its workflow tables"
    block = readme.split(BEGIN, 1)[1].split("\n", 1)[1].split(END, 1)[0]
    assert block == workflow.table(), \
        "README's workflow tables differ from workflow.py: paste `python app.py workflow-table`"


def test_workflow_table_command_prints_the_tables(runner):
    result = runner.invoke(args=["workflow-table"])
    assert result.exit_code == 0, result.output
    assert result.output == workflow.table()
    assert "| 派单 `dispatch` | 已登记 | 已派单 | – | accept | – | 通知对方 |" in result.output


def transitions_called(register):
    """The transition names the register's model methods take (by `self.transition`)."""
    import inspect
    import models
    with open(inspect.getsourcefile(getattr(models, register)), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())  # its business area's module in domain/
    cls = next(node for node in tree.body
               if isinstance(node, ast.ClassDef) and node.name == register)
    # Contact's conversions name theirs through `_open(by, now, step, record)`, a complaint's
    # escalations through `escalate(…, transition="escalate")`.
    passed = {arg.value for call in ast.walk(cls) if isinstance(call, ast.Call)
              and isinstance(call.func, ast.Attribute)
              and call.func.attr in ("transition", "_open", "escalate")
              for arg in call.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    defaults = {default.value for f in ast.walk(cls) if isinstance(f, ast.FunctionDef)
                for arg, default in zip(f.args.args[::-1], f.args.defaults[::-1])
                if arg.arg == "transition" and isinstance(default, ast.Constant)}
    # Any name given to `transition` itself, declared or not (the test then says which).
    direct = {call.args[0].value for call in ast.walk(cls) if isinstance(call, ast.Call)
              and isinstance(call.func, ast.Attribute) and call.func.attr == "transition"
              and call.args and isinstance(call.args[0], ast.Constant)}
    # A step's flows function may choose which of a method's transitions it takes (签收:
    # `transition="sign"`).
    chosen = set()
    for name in os.listdir(os.path.join(ROOT, "flows")):
        if name.endswith(".py"):
            with open(os.path.join(ROOT, "flows", name), encoding="utf-8") as fh:
                chosen |= {k.value.value for k in ast.walk(ast.parse(fh.read()))
                           if isinstance(k, ast.keyword) and k.arg == "transition"
                           and isinstance(k.value, ast.Constant)}
    return (passed | defaults | chosen) & set(workflow.of(register).transitions) | direct


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.register)
def test_every_declared_transition_has_its_model_method_and_its_button(app, flow):
    view = views_by_register(app)[flow.register]
    declared_steps = set(flow.steps())
    assert declared_steps == set(access.STEPS[flow.register]), "access.STEPS and workflow.py differ"
    assert {step.name for step in view.steps} == declared_steps
    called = transitions_called(flow.register)
    # Every change of state is a model method's conditional UPDATE; a step that changes no
    # state (书面转达, 记录进展) may check its declared states itself.
    assert {t.name for t in flow.transitions.values() if t.target is not None} <= called
    assert called <= set(flow.transitions) - ON_HOLD, "a transition taken but not declared"
    for step in view.steps:
        assert step.label == flow.transitions[step.declared[0].name].label
        assert set(step.when) == set().union(*(t.source or () for t in step.declared))
        assert step.bulk == any(t.bulk for t in step.declared)
        # A bulk offer asks nothing: the selected rows get no form.
        assert not step.bulk or not step.fields, step.name
        assert set(step.fields) >= set().union(*(t.asks for t in step.declared)) - {"reason"} \
            or step.name in ON_HOLD, step.name
        assert (step.name in dict(view._actions)) == step.bulk, step.name
    assert view.open_states == flow.open
    assert view.editable_states == flow.editable
    assert tuple(view.deadline_filters) == flow.deadline_filters()
    for column, runs_in in flow.deadline_filters():
        assert view.column_formatters[column].open_states == runs_in


def test_every_register_with_steps_and_states_has_a_declared_workflow(app):
    """A step button of a register with states is one of its declared transitions; a register
    whose steps change no state (座谈会: 登记参会客户) has none."""
    for register, view in views_by_register(app).items():
        model = view.model
        if view.steps and "status" in model._meta.fields:
            assert model.WORKFLOW is not None and model.WORKFLOW is workflow.of(register), register
        if getattr(model, "WORKFLOW", None) is None:
            assert all(not step.declared for step in view.steps)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.register)
def test_the_model_states_are_the_declared_ones(flow):
    model = model_of(flow)
    assert model.WORKFLOW is flow
    assert tuple(model.status.choices) == flow.states
    for value in flow.values:
        assert getattr(model, value.upper()) == value
    assert model.status.default == flow.values[0]
    assert model.holdable_states == (flow.source("hold") if "hold" in flow.transitions else ())


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.register)
def test_every_state_is_reachable_and_every_open_state_leads_on(flow):
    entered = {flow.values[0]} | {t.target for t in flow.transitions.values()}
    assert set(flow.values) - set(flow.retired) <= entered, "a state no transition enters"
    assert not set(flow.retired) & entered, "a retired state is still entered"
    assert not set(flow.retired) & set(flow.open)
    for state in flow.open:
        assert any(t.target not in (None, state) and state in (t.source or ())
                   for t in flow.transitions.values()), f"open state {state} leads nowhere"
    # A state none leaves is an end: not open.
    ends = {v for v in flow.values if not any(v in (t.source or ()) and t.target not in (None, v)
                                             for t in flow.transitions.values())}
    assert not ends & set(flow.open)


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.register)
def test_each_clock_runs_from_the_transitions_that_start_it_until_one_that_stops_it(flow):
    for clock in flow.clocks:
        starting = [t for t in flow.transitions.values() if clock.kind in t.starts]
        if clock.started_on not in (None, "create"):
            register, name = clock.started_on.split(".")
            assert name in workflow.of(register).transitions, clock.started_on
        assert starting or clock.started_on, f"nothing starts clock {clock.kind}"
        for t in starting:  # a transition that keeps the state restarts it there
            assert set((t.source or ()) if t.target is None else (t.target,)) <= \
                set(clock.runs_in), (clock.kind, t.name)
        for t in flow.transitions.values():
            leaves = t.target is not None and t.target not in clock.runs_in
            if leaves and set(t.source or ()) & set(clock.runs_in) and not clock.runs_on:
                assert clock.kind in t.stops, f"{t.name} leaves {clock.kind}'s states running"


def running_and_met(order):
    rows = Deadline.select().where((Deadline.record_type == "RepairOrder")
                                   & (Deadline.record_id == order.id))
    return ({d.kind for d in rows if d.status == Deadline.RUNNING},
            {d.kind for d in rows if d.status == Deadline.MET})


def state_names():
    """{register: {constant name: value}} of the declared registers."""
    return {flow.register: {value.upper(): value for value in flow.values} for flow in FLOWS}


def restatements(path, source=None):
    """Where `path` (a module of the console) restates a declared register's states: a tuple,
    list or set of nothing but its state constants (`RepairOrder.DONE`; in the register's own
    class also `self.DONE` or `DONE`) or its state strings, or a `transition(...)` call given
    from-states or a status."""
    names = state_names()
    if source is None:
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
    tree = ast.parse(source)
    found = []

    def state_of(node, own):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = own if node.value.id in ("self", "cls") else node.value.id
            if owner in names and node.attr in names[owner]:
                return owner
        if isinstance(node, ast.Name) and own in names and node.id in names[own]:
            return own
        return None

    def is_initial(owner, node):
        attr = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        return names[owner].get(attr) == workflow.of(owner).initial

    def visit(node, own):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.ClassDef) else own
            if isinstance(child, (ast.Tuple, ast.List, ast.Set)) \
                    and not isinstance(getattr(child, "ctx", None), ast.Store):
                # A collection of states only (a key like ("repair", RepairOrder.DONE) names
                # one state, it does not restate a transition's).
                owners = {state_of(e, own) for e in child.elts}
                owners = set() if None in owners else owners
                strings = {e.value for e in child.elts if isinstance(e, ast.Constant)
                           and isinstance(e.value, str)}
                if owners:
                    found.append((child.lineno, "states of %s" % "/".join(sorted(owners))))
                elif len(strings) > 1 and strings == {s for s in strings
                                                      for flow in FLOWS if s in flow.values
                                                      and strings <= set(flow.values)}:
                    found.append((child.lineno, "state strings %s" % sorted(strings)))
            if isinstance(child, ast.keyword) and child.arg == "status":
                # A state written outright (a set-based UPDATE, a record born in a later state)
                # is a transition's target, named as such; only a new record's first state may
                # be written as itself.
                owner = state_of(child.value, own)
                literal = child.value.value if isinstance(child.value, ast.Constant) else None
                if owner is not None and not is_initial(owner, child.value):
                    found.append((child.value.lineno, "status written as a state of %s" % owner))
                elif isinstance(literal, str) and any(literal in f.values[1:] for f in FLOWS):
                    found.append((child.value.lineno, "status written as %r" % literal))
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) \
                    and child.func.attr == "transition" and own in names:
                if len(child.args) > 3 or any(k.arg == "status" for k in child.keywords):
                    found.append((child.lineno, "transition() given its states"))
            visit(child, inner)
    visit(tree, None)
    return found


def console_sources():
    """The modules that hold rules and entry points: not the declaration, the demo data, the
    tests, nor the migrations (database.py), which must keep the states of their day."""
    for folder in ("", "domain", "flows", "views", "jobs"):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".py") and name not in ("workflow.py", "demo.py", "database.py",
                                                     "migrations_sql.py", "gunicorn.conf.py"):
                yield os.path.join(folder, name), os.path.join(ROOT, folder, name)


def test_no_transition_state_is_written_anywhere_but_its_declaration():
    found = [(name, line, what) for name, path in console_sources()
             for line, what in restatements(path)]
    assert found == [], "states restated outside workflow.py: %s" % found


@pytest.mark.parametrize("restated", [
    "class RepairOrder:\n    def accept(self, by, now):\n"
    "        self.transition('accept', by, now, (self.DISPATCHED,))\n",
    "class RepairOrder:\n    def accept(self, by, now):\n"
    "        self.transition('accept', by, now, status=self.ACCEPTED)\n",
    "class RepairOrder:\n    holdable_states = (DISPATCHED, ACCEPTED)\n",
    "class RepairOrderView:\n    open_states = (RepairOrder.REGISTERED, RepairOrder.DONE)\n",
    "def overdue(q):\n    return q.where(RepairOrder.status.in_(['dispatched', 'accepted']))\n",
    "def close(ids):\n    Alert.update(status=Alert.RESOLVED).where(Alert.id.in_(ids)).execute()\n",
    "def born_sent():\n    return WorkLetter.create(subject='x', status='sent')\n",
])
def test_the_restatement_check_finds_a_restated_state(restated):
    assert restatements("example.py", restated) != []


@pytest.mark.parametrize("fine", [
    "def raise_one():\n    return Alert.create(status=Alert.OPEN)\n",
    "def close(ids):\n    Alert.update(status=Alert.WORKFLOW.target('resolve')).execute()\n",
    "def done(order):\n    return order.status == RepairOrder.DONE\n",
])
def test_the_restatement_check_lets_a_first_state_and_a_named_target_be(fine):
    assert restatements("example.py", fine) == []


def test_a_view_step_restating_its_states_is_refused():
    """A declared register's step gets its states and label from workflow.py; a view that
    writes them again does not start."""
    class Restating(RepairOrderView):
        steps = (Step("dispatch", "派单", when=(RepairOrder.REGISTERED,)),) \
            + RepairOrderView.steps[1:]
    with pytest.raises(LookupError, match="declared in workflow.py"):
        Restating(RepairOrder)


def test_crm_timeline_waits_on_the_declared_open_states():
    import crm
    # A source with no open states never keeps the customer waiting (a charge, a callback).
    declared = [s for s in crm.SOURCES if s.model.__name__ in workflow.WORKFLOWS
                and s.open_states]
    assert len(declared) >= 6
    for source in declared:
        assert tuple(source.open_states) == source.model.WORKFLOW.open, source.key


def test_take_step_refuses_a_step_its_declaration_does_not_allow_and_lets_one_click_win(app):
    """Whatever entry point calls it (a view, later a phone page or an API), the executor
    checks the declared states and the version the click was drawn from."""
    from flows.steps import take_step
    from factories import make_customer
    from models import DomainError, StaleRecord
    clerk, prop = (User.get(User.username == name) for name in ("clerk", "property"))
    order = RepairOrder.create(
        customer=make_customer(DEMO_NOW), location="测试", description="漏水",
        reported_at=DEMO_NOW, department=Department.get(Department.code == "property"),
        created_at=DEMO_NOW, updated_at=DEMO_NOW)
    seen = order.version or 0

    with pytest.raises(DomainError, match="当前状态为“已登记”，不能接单"):
        take_step(order, "accept", prop, DEMO_NOW)
    take_step(order, "dispatch", clerk, DEMO_NOW, seen=seen)
    with pytest.raises((StaleRecord, DomainError)):  # the second of two clicks on one page
        take_step(order, "dispatch", clerk, DEMO_NOW, seen=seen)
    assert RepairOrder.get_by_id(order.id).status == RepairOrder.DISPATCHED


@pytest.mark.parametrize("kind, status, allowed", [
    ("progress", "received", False), ("progress", "in_progress", True),
    ("progress", "resolved", False), ("feedback", "received", True),
    ("feedback", "resolved", False), ("follow_up", "in_progress", True),
    ("follow_up", "resolved", False),
])
def test_a_complaint_entry_is_recorded_only_in_the_states_its_step_is_declared_for(
        app, kind, status, allowed):
    """Divergence fixed: the model took 记录进展/反馈/每日跟踪 also on a received (进展) or
    resolved complaint, where no button offers them; now both read workflow.COMPLAINT."""
    from models import Complaint, ComplaintUpdate, DomainError
    clerk = User.get(User.username == "clerk")
    complaint = Complaint.create(
        complainant_name="赵女士", complainant_phone="13700001111", channel="phone",
        category="property", subject="测试投诉", severity="general", status=status,
        department=Complaint.route("property"), received_at=DEMO_NOW, created_at=DEMO_NOW,
        updated_at=DEMO_NOW)
    assert (status in workflow.COMPLAINT.source(kind)) == allowed
    with write_transaction():
        if allowed:
            complaint.add_update(clerk, DEMO_NOW, kind, "已联系", "已告知")
        else:
            with pytest.raises(DomainError, match="当前状态为.*不能%s" % (
                    workflow.COMPLAINT.transition(kind).label)):
                complaint.add_update(clerk, DEMO_NOW, kind, "已联系", "已告知")
    assert ComplaintUpdate.select().where(ComplaintUpdate.complaint == complaint).count() == \
        int(allowed)
