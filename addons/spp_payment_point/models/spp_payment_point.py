# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import ast

from spp_payment_core.points import KINDS, MAX_PATH_DEPTH, FieldSpec

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

MEMBERSHIP = "spp.program.membership"
# Operators a criteria domain may use (what the domain editor offers).
CRITERIA_OPERATORS = frozenset(
    {
        "=",
        "!=",
        "in",
        "not in",
        "<",
        "<=",
        ">",
        ">=",
        "like",
        "ilike",
        "not like",
        "not ilike",
        "=like",
        "=ilike",
        "child_of",
        "parent_of",
        "any",
        "not any",
        "set",
        "not set",
    }
)
OPERATOR_WORDS = {
    "=": "is",
    "!=": "is not",
    "in": "is one of",
    "not in": "is none of",
    "child_of": "is in",
    "ilike": "contains",
    "not ilike": "does not contain",
}


def parse_domain(text):
    """The criteria domain as a list, or ValueError: literal values only, so a
    stored domain never evaluates code."""
    domain = ast.literal_eval((text or "[]").strip() or "[]")
    if not isinstance(domain, (list, tuple)):
        raise ValueError("a domain is a list")
    return list(domain)


class SppPaymentPoint(models.Model):
    """A place where a payment point manager hands out cash, serving the
    members its criteria select."""

    _name = "spp.payment.point"
    _inherit = ["spp.approval.mixin", "mail.activity.mixin"]
    _description = "Payment Point"
    _order = "code, id"
    # Closing a point needs no approval (it serves fewer); see write().
    _spp_approval_writable_fields = frozenset({"state"})

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True, tracking=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    program_id = fields.Many2one(
        "spp.program", index=True, help="Empty: the point serves any program."
    )
    area_id = fields.Many2one("spp.area", index=True, tracking=True)
    address = fields.Char(tracking=True)
    latitude = fields.Float(digits=(10, 7), tracking=True)
    longitude = fields.Float(digits=(10, 7), tracking=True)
    radius_m = fields.Integer(
        string="Radius (m)", default=500, help="Payments recorded farther are flagged."
    )
    capacity = fields.Integer(help="Beneficiaries the point can serve per cycle.")
    # A domain on spp.program.membership: who this point serves.
    criteria_domain = fields.Char(string="Criteria", default="[]", tracking=True)
    state = fields.Selection(
        [("active", "Active"), ("closed", "Closed")],
        default="active",
        required=True,
        tracking=True,
    )
    manager_ids = fields.Many2many(
        "spp.payment.point.manager",
        "spp_payment_point_manager_rel",
        "point_id",
        "manager_id",
        string="Managers",
    )
    criteria_text = fields.Text(
        string="Criteria (readable)", compute="_compute_criteria_text"
    )
    member_count = fields.Integer(
        string="Matching Members",
        compute="_compute_member_count",
        help="Enrolled memberships (of the point's program, when it has one) that "
        "match the criteria.",
    )
    has_location = fields.Boolean(compute="_compute_map_url")
    map_url = fields.Char(string="Map", compute="_compute_map_url")

    _code_unique = models.Constraint(
        "UNIQUE(company_id, code)", "A payment point code is unique per company."
    )
    _radius_positive = models.Constraint(
        "CHECK(radius_m IS NULL OR radius_m > 0)", "The radius is at least 1 metre."
    )
    _capacity_positive = models.Constraint(
        "CHECK(capacity IS NULL OR capacity >= 0)", "The capacity cannot be negative."
    )
    _latitude_range = models.Constraint(
        "CHECK(latitude IS NULL OR latitude BETWEEN -90 AND 90)",
        "The latitude is between -90 and 90.",
    )
    _longitude_range = models.Constraint(
        "CHECK(longitude IS NULL OR longitude BETWEEN -180 AND 180)",
        "The longitude is between -180 and 180.",
    )

    # Criteria --------------------------------------------------------------

    @api.model
    def _spp_criteria_field(self, path):
        """A FieldSpec for the membership field ``path`` (e.g. partner_id.city),
        or why it cannot be a criterion: every step stored and readable, links
        many2one, the last of a kind the import can type-check."""
        model = self.env[MEMBERSHIP]
        parts = path.split(".")
        if len(parts) > MAX_PATH_DEPTH:
            return f"at most {MAX_PATH_DEPTH} fields deep"
        labels = []
        for depth, name in enumerate(parts):
            field = model._fields.get(name)
            if field is None:
                return f"{model._description} has no field {name!r}"
            if not field.store:
                return f"{model._description}.{name} is computed, not stored"
            if field.groups:
                return f"{model._description}.{name} is restricted to some groups"
            labels.append(field.string)
            if depth < len(parts) - 1:
                if field.type != "many2one":
                    return f"{name} is not a link to one record (many2one)"
                model = self.env[field.comodel_name]
                if not model.has_access("read"):
                    return f"you cannot read {model._description}"
                continue
            if field.type not in KINDS:
                return (
                    f"{name} is a {field.type} field; criteria take {', '.join(KINDS)}"
                )
            label = " › ".join(labels)
            if field.type == "selection":
                choices = tuple(field._description_selection(self.env))
                return FieldSpec("selection", label, choices=choices)
            if field.type == "many2one":
                comodel = self.env[field.comodel_name]
                if not comodel.has_access("read"):
                    return f"you cannot read {comodel._description}"
                key = "code" if "code" in comodel._fields else comodel._rec_name
                return FieldSpec(
                    "many2one",
                    comodel._description,
                    key_name=key,
                    hierarchical=bool(comodel._parent_store),
                )
            return FieldSpec(field.type, label)
        return "empty field path"

    @api.model
    def _spp_criteria_candidates(self):
        """(path, label) of the fields points can be grouped or selected by:
        the membership's own and its registrant's stored fields."""
        candidates = []
        membership = self.env[MEMBERSHIP]
        partner = membership._fields["partner_id"]
        for prefix, model, label in (
            ("", membership, ""),
            ("partner_id.", self.env[partner.comodel_name], partner.string + " › "),
        ):
            for name, field in sorted(model._fields.items()):
                if name in ("id", "company_id") or field.type not in (
                    "char",
                    "selection",
                    "many2one",
                    "integer",
                    "boolean",
                ):
                    continue
                if (
                    field.store
                    and not field.groups
                    and not name.startswith(
                        ("message_", "activity_", "write_", "create_")
                    )
                    and not isinstance(self._spp_criteria_field(prefix + name), str)
                ):
                    candidates.append((prefix + name, label + field.string))
        return candidates

    @api.constrains("criteria_domain")
    def _check_criteria_domain(self):
        for point in self:
            problem = point._spp_criteria_problem()
            if problem:
                raise ValidationError(
                    self.env._(
                        "The criteria of %(point)s are not valid: %(problem)s",
                        point=point.display_name,
                        problem=problem,
                    )
                )

    def _spp_criteria_problem(self):
        try:
            domain = parse_domain(self.criteria_domain)
        except (ValueError, SyntaxError, TypeError):
            return self.env._("a domain is a list of literal conditions")
        for leaf in domain:
            if leaf in ("&", "|", "!"):
                continue
            if not isinstance(leaf, (list, tuple)) or len(leaf) != 3:
                return self.env._("%s is not a condition", leaf)
            path, operator, _value = leaf
            if operator not in CRITERIA_OPERATORS:
                return self.env._("operator %s is not allowed", operator)
            spec = self._spp_criteria_field(str(path))
            if isinstance(spec, str) and operator not in ("any", "not any"):
                return f"{path}: {spec}"
        return ""

    def _spp_member_domain(self):
        """The memberships this point serves: enrolled, of its company and
        program (when it has one), matching its criteria."""
        self.ensure_one()
        domain = [
            ("company_id", "=", self.company_id.id),
            ("state", "=", "enrolled"),
        ]
        if self.program_id:
            domain.append(("program_id", "=", self.program_id.id))
        return domain + parse_domain(self.criteria_domain)

    @api.depends("criteria_domain", "program_id", "company_id")
    def _compute_member_count(self):
        Membership = self.env[MEMBERSHIP]
        for point in self:
            if point._spp_criteria_problem():
                point.member_count = 0
                continue
            # search_count is len(_search(domain)): one SELECT COUNT(*) built
            # from the domain, no record loaded.
            point.member_count = Membership.search_count(point._spp_member_domain())

    @api.depends("criteria_domain")
    def _compute_criteria_text(self):
        for point in self:
            point.criteria_text = point._spp_describe_criteria()

    def _spp_describe_criteria(self):
        """The criteria in words, one condition a line (``all of``)."""
        if self._spp_criteria_problem():
            return self.criteria_domain
        domain = parse_domain(self.criteria_domain)
        if not domain:
            return self.env._("Every member (no criteria)")
        if any(leaf in ("|", "!") for leaf in domain):
            return self.criteria_domain
        lines = []
        for leaf in domain:
            if leaf == "&":
                continue
            path, operator, value = leaf
            lines.append(self._spp_describe_leaf(path, operator, value))
        return "\n".join(lines)

    def _spp_describe_leaf(self, path, operator, value):
        spec = self._spp_criteria_field(path)
        label = spec.label if isinstance(spec, FieldSpec) else path
        if isinstance(spec, FieldSpec) and spec.kind == "many2one":
            label = self._spp_path_label(path)
            ids = value if isinstance(value, (list, tuple)) else [value]
            comodel = self._spp_path_comodel(path)
            records = comodel.browse([i for i in ids if isinstance(i, int)]).exists()
            value = ", ".join(records.mapped("display_name")) or value
        elif isinstance(spec, FieldSpec) and spec.kind == "selection":
            labels = dict(spec.choices)
            values = value if isinstance(value, (list, tuple)) else [value]
            value = ", ".join(str(labels.get(v, v)) for v in values)
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        words = OPERATOR_WORDS.get(operator, operator)
        return f"{label} {words} {value}"

    def _spp_path_label(self, path):
        model, labels = self.env[MEMBERSHIP], []
        for name in path.split("."):
            field = model._fields[name]
            labels.append(field.string)
            if field.type == "many2one":
                model = self.env[field.comodel_name]
        return " › ".join(labels)

    def _spp_path_comodel(self, path):
        model = self.env[MEMBERSHIP]
        for name in path.split("."):
            model = self.env[model._fields[name].comodel_name]
        return model

    def action_open_members(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Members of %s", self.display_name),
            "res_model": MEMBERSHIP,
            "view_mode": "list,form",
            "domain": self._spp_member_domain(),
            "context": {"create": False},
        }

    # Map -------------------------------------------------------------------

    @api.depends("latitude", "longitude")
    def _compute_map_url(self):
        for point in self:
            point.has_location = bool(point.latitude or point.longitude)
            lat, lon = f"{point.latitude:.7f}", f"{point.longitude:.7f}"
            point.map_url = (
                f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
                if point.has_location
                else False
            )

    # Approval and life cycle -----------------------------------------------

    def _spp_check_can_submit(self):
        problem = self._spp_criteria_problem()
        if problem:
            raise UserError(
                self.env._(
                    "%(point)s cannot be submitted: %(problem)s",
                    point=self.display_name,
                    problem=problem,
                )
            )

    def action_close(self):
        self.write({"state": "closed"})
        return True

    @api.depends("code", "name")
    def _compute_display_name(self):
        for point in self:
            point.display_name = (
                f"[{point.code}] {point.name}" if point.code else point.name
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not any(vals.get("manager_ids") for vals in vals_list):
            return super().create(vals_list)
        # Refused links are undone with the rest of the call, even if the
        # caller catches the error.
        with self.env.cr.savepoint():
            points = super().create(vals_list)
            points._spp_check_assignments_of(points.manager_ids)
        return points

    def write(self, vals):
        if vals.get("state") == "active" and self.filtered(
            lambda p: p.approval_state != "draft" and p.state != "active"
        ):
            raise UserError(
                self.env._(
                    "A closed payment point reopens only through a new point "
                    "approved again."
                )
            )
        if "manager_ids" not in vals:
            return super().write(vals)
        before = {point: point.manager_ids for point in self}
        with self.env.cr.savepoint():
            result = super().write(vals)
            changed = self.env["spp.payment.point.manager"]
            for point, managers in before.items():
                now = point.manager_ids
                changed |= (managers | now) - (managers & now)
            self._spp_check_assignments_of(changed)
        return result

    def _spp_check_assignments_of(self, managers):
        """The points a manager serves are part of the manager's approval: a
        point's form changes them only for draft managers, and whoever does
        so helped prepare those managers (so does not approve them)."""
        if not managers:
            return
        locked = managers.filtered(lambda m: m.approval_state != "draft")
        if locked:
            raise UserError(
                self.env._(
                    "The points of %s can no longer change: they were submitted "
                    "for approval.",
                    ", ".join(locked.mapped("display_name")),
                )
            )
        managers._spp_record_contributor("edited")
