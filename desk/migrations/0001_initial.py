"""Business hours, holidays and priority levels move here from ``tenants`` without touching
their tables: they keep their names (``db_table``), rows, constraints and row-level security.
Only Django's model state moves (``tenants.0007`` forgets them), and so do their content types,
so admin permissions given on them keep working."""

import datetime
import django.db.models.deletion
from django.db import migrations, models

MOVED = ("businesshours", "tenantholiday", "prioritylevel")


def _relabel(apps, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label=new, model=model).exists():
            content_type.objects.filter(app_label=old, model=model).update(app_label=new)


def move_content_types(apps, schema_editor):
    _relabel(apps, "tenants", "desk")


def move_content_types_back(apps, schema_editor):
    _relabel(apps, "desk", "tenants")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('tenants', '0006_tenant_escalation_review_minutes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
        migrations.CreateModel(
            name='BusinessHours',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')])),
                ('opens', models.TimeField()),
                ('closes', models.TimeField()),
                ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'verbose_name_plural': 'business hours',
                'db_table': 'tenants_businesshours',
                'ordering': ['weekday', 'opens'],
                'abstract': False,
                'base_manager_name': 'objects',
                'constraints': [models.CheckConstraint(condition=models.Q(('opens__lt', models.F('closes')), ('closes', datetime.time(0, 0)), _connector='OR'), name='bh_opens_before_closes'), models.CheckConstraint(condition=models.Q(('weekday__lte', 6)), name='bh_weekday_range'), models.UniqueConstraint(fields=('tenant', 'weekday', 'opens'), name='bh_tenant_weekday_opens')],
            },
        ),
        migrations.CreateModel(
            name='PriorityLevel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('priority', models.CharField(choices=[('urgent', 'Urgent'), ('high', 'High'), ('normal', 'Normal'), ('low', 'Low')], max_length=16)),
                ('summary', models.CharField(max_length=300)),
                ('examples', models.JSONField(blank=True, default=list)),
                ('first_reply_amount', models.PositiveSmallIntegerField(default=1)),
                ('first_reply_unit', models.CharField(choices=[('business_hours', 'business hours'), ('business_days', 'business days')], default='business_days', max_length=16)),
                ('next_update_amount', models.PositiveSmallIntegerField(default=1)),
                ('next_update_unit', models.CharField(choices=[('business_hours', 'business hours'), ('business_days', 'business days')], default='business_days', max_length=16)),
                ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'db_table': 'tenants_prioritylevel',
                'abstract': False,
                'base_manager_name': 'objects',
                'constraints': [models.UniqueConstraint(fields=('tenant', 'priority'), name='prioritylevel_tenant_priority'), models.CheckConstraint(condition=models.Q(('first_reply_amount__gt', 0), ('next_update_amount__gt', 0)), name='prioritylevel_targets_positive')],
            },
        ),
        migrations.CreateModel(
            name='TenantHoliday',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('date', models.DateField()),
                ('name', models.CharField(max_length=100)),
                ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'db_table': 'tenants_tenantholiday',
                'ordering': ['date'],
                'abstract': False,
                'base_manager_name': 'objects',
                'constraints': [models.UniqueConstraint(fields=('tenant', 'date'), name='holiday_tenant_date')],
            },
        ),
        ]),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=False),
    ]
