"""Persian and Russian translations of the screens' strings, written into the .po catalogues by ``build``.

Run ``python -m crmcore.translations.glossary`` after ``pybabel extract`` to refresh the catalogues and the
compiled ``.mo`` files; strings missing here stay in English until translated in the .po file.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

# msgid: (Persian, Russian)
TEXTS: dict[str, tuple[str, str]] = {
    "Dashboard": ("پیشخوان", "Панель"),
    "Please correct the fields marked below.": ("لطفاً فیلدهای مشخص‌شده را اصلاح کنید.",
                                                 "Исправьте отмеченные поля."),
    "deal_id and stage_id must be numbers.": ("deal_id و stage_id باید عدد باشند.",
                                              "deal_id и stage_id должны быть числами."),
    "Logged on the timeline.": ("در گاه‌شمار ثبت شد.", "Записано в хронологию."),
    "Task added.": ("کار افزوده شد.", "Задача добавлена."),
    "Deal opened.": ("معامله باز شد.", "Сделка открыта."),
    "Contact added.": ("مخاطب افزوده شد.", "Контакт добавлен."),
    "Task done.": ("کار انجام شد.", "Задача выполнена."),
    "Sales funnel": ("قیف فروش", "Воронка продаж"),
    "R = N × V × L, last 12 months": ("R = N × V × L، ۱۲ ماه گذشته", "R = N × V × L, последние 12 месяцев"),
    "Lead": ("سرنخ", "Лид"),
    "Prospect": ("مشتری بالقوه", "Потенциальный клиент"),
    "Customer": ("مشتری", "Клиент"),
    "Former customer": ("مشتری پیشین", "Бывший клиент"),
    "Phone call": ("تماس تلفنی", "Звонок"),
    "Email": ("ایمیل", "Эл. почта"),
    "Web": ("وب", "Сайт"),
    "Messenger": ("پیام‌رسان", "Мессенджер"),
    "Social network": ("شبکه اجتماعی", "Соцсеть"),
    "Fax": ("فکس", "Факс"),
    "Post": ("پست", "Почта"),
    "Visit or meeting": ("بازدید یا جلسه", "Визит или встреча"),
    "Store": ("فروشگاه", "Магазин"),
    "Event": ("رویداد", "Мероприятие"),
    "Outbound": ("خروجی", "Исходящий"),
    "Inbound": ("ورودی", "Входящий"),
    "Name": ("نام", "Название"),
    "Kind": ("نوع", "Тип"),
    "Organisation": ("سازمان", "Организация"),
    "Person": ("شخص", "Частное лицо"),
    "Lifecycle stage": ("مرحله", "Этап"),
    "Phone": ("تلفن", "Телефон"),
    "Website": ("وب‌سایت", "Сайт"),
    "Country (ISO code)": ("کشور (کد ISO)", "Страна (код ISO)"),
    "City": ("شهر", "Город"),
    "Address": ("نشانی", "Адрес"),
    "Legal name": ("نام حقوقی", "Юридическое название"),
    "Registration number": ("شماره ثبت", "Регистрационный номер"),
    "Tax number": ("شناسه مالیاتی", "ИНН"),
    "Industry": ("صنعت", "Отрасль"),
    "Sales channel": ("کانال فروش", "Канал продаж"),
    "Source": ("منبع", "Источник"),
    "Why the customer left": ("دلیل رفتن مشتری", "Почему клиент ушёл"),
    "Owner": ("مسئول", "Ответственный"),
    "Tags (comma-separated)": ("برچسب‌ها (با کاما)", "Метки (через запятую)"),
    "Agreed to marketing": ("رضایت به بازاریابی", "Согласие на рассылки"),
    "First name": ("نام", "Имя"),
    "Middle name": ("نام میانی", "Отчество"),
    "Last name": ("نام خانوادگی", "Фамилия"),
    "Position": ("سمت", "Должность"),
    "Emails (comma-separated)": ("ایمیل‌ها (با کاما)", "Эл. адреса (через запятую)"),
    "Phones (comma-separated)": ("تلفن‌ها (با کاما)", "Телефоны (через запятую)"),
    "Birthday": ("تاریخ تولد", "День рождения"),
    "Channel": ("کانال", "Канал"),
    "Direction": ("جهت", "Направление"),
    "When": ("زمان", "Когда"),
    "Subject": ("موضوع", "Тема"),
    "Notes": ("یادداشت", "Заметки"),
    "Outcome": ("نتیجه", "Итог"),
    "Contact person": ("شخص رابط", "Контактное лицо"),
    "Deal": ("معامله", "Сделка"),
    "Title": ("عنوان", "Название"),
    "Amount": ("مبلغ", "Сумма"),
    "Currency": ("ارز", "Валюта"),
    "Stage": ("مرحله", "Этап"),
    "Expected to close on": ("تاریخ بستن مورد انتظار", "Ожидаемая дата закрытия"),
    "Probability (%), if not the stage's": ("احتمال (٪)، اگر جز احتمال مرحله است",
                                            "Вероятность (%), если не как у этапа"),
    "Why it was lost": ("دلیل از دست رفتن", "Причина проигрыша"),
    "Due on": ("سررسید", "Срок"),
    "Assignee": ("انجام‌دهنده", "Исполнитель"),
    "SKU": ("کد کالا", "Артикул"),
    "Price": ("قیمت", "Цена"),
    "Cost": ("هزینه", "Себестоимость"),
    "Description": ("توضیحات", "Описание"),
    "On sale": ("در فروش", "В продаже"),
    "Role": ("نقش", "Роль"),
    "Staff": ("کارمند", "Сотрудник"),
    "Manager": ("مدیر فروش", "Менеджер"),
    "Admin": ("مدیر سیستم", "Администратор"),
    "Language": ("زبان", "Язык"),
    "Active": ("فعال", "Активен"),
    "Password": ("گذرواژه", "Пароль"),
    "New password (leave empty to keep)": ("گذرواژه تازه (برای نگه‌داشتن خالی بگذارید)",
                                           "Новый пароль (оставьте пустым, чтобы не менять)"),
    "Default pipeline": ("قیف پیش‌فرض", "Воронка по умолчанию"),
    "Stages, one a line: name | probability | won or lost (empty for the usual six stages)": (
        "مراحل، هر خط یکی: نام | احتمال | won یا lost (خالی برای شش مرحله معمول)",
        "Этапы, по одному в строке: название | вероятность | won или lost (пусто — шесть обычных этапов)"),
    "%(title)s is on.": ("%(title)s روشن شد.", "%(title)s включён."),
    "Migrations applied: %(steps)s.": ("مهاجرت‌های اجراشده: %(steps)s.", "Применены миграции: %(steps)s."),
    "%(title)s is off; its data is kept.": ("%(title)s خاموش شد؛ داده‌هایش نگه داشته می‌شود.",
                                            "%(title)s выключен; его данные сохранены."),
    "The settings of %(title)s were not saved.": ("تنظیمات %(title)s ذخیره نشد.",
                                                   "Настройки %(title)s не сохранены."),
    "Settings of %(title)s saved.": ("تنظیمات %(title)s ذخیره شد.", "Настройки %(title)s сохранены."),
    "Country": ("کشور", "Страна"),
    "Tags": ("برچسب‌ها", "Метки"),
    "Assign owner": ("تعیین مسئول", "Назначить ответственного"),
    "Add a tag": ("افزودن برچسب", "Добавить метку"),
    "%(count)s records were changed.": ("%(count)s رکورد تغییر کرد.", "Изменено записей: %(count)s."),
    "Give the tag a name.": ("برای برچسب نامی بنویسید.", "Укажите название метки."),
    "By": ("توسط", "Кто"),
    "Status": ("وضعیت", "Статус"),
    "Expected to close": ("بستن مورد انتظار", "Ожидаемое закрытие"),
    "Pipeline": ("قیف", "Воронка"),
    "Done": ("انجام شده", "Выполнено"),
    "Mark done": ("انجام شد", "Отметить выполненной"),
    "Last log-in": ("آخرین ورود", "Последний вход"),
    "Default": ("پیش‌فرض", "По умолчанию"),
    "Stages": ("مراحل", "Этапы"),
    "Record": ("رکورد", "Запись"),
    "Key": ("کلید", "Ключ"),
    "Label": ("برچسب نمایشی", "Подпись"),
    "Type": ("نوع", "Тип"),
    "Choices": ("گزینه‌ها", "Варианты"),
    "Required": ("الزامی", "Обязательное"),
    "Who": ("چه کسی", "Кто"),
    "Id": ("شناسه", "ID"),
    "Action": ("کنش", "Действие"),
    "Changes": ("تغییرات", "Изменения"),
    "Customers": ("مشتریان", "Клиенты"),
    "Settings": ("تنظیمات", "Настройки"),
    "Contacts": ("مخاطبان", "Контакты"),
    "Deals": ("معاملات", "Сделки"),
    "Touchpoints": ("تعامل‌ها", "Взаимодействия"),
    "Tasks": ("کارها", "Задачи"),
    "Products": ("محصولات", "Товары"),
    "Users": ("کاربران", "Пользователи"),
    "Pipelines": ("قیف‌ها", "Воронки"),
    "Custom fields": ("فیلدهای سفارشی", "Дополнительные поля"),
    "Audit log": ("گزارش تغییرات", "Журнал изменений"),
    "Pipeline board": ("تابلوی فروش", "Доска сделок"),
    "Plugins": ("افزونه‌ها", "Плагины"),
    "Welcome, %(name)s.": ("خوش آمدید، %(name)s.", "Добро пожаловать, %(name)s."),
    "Log out": ("خروج", "Выйти"),
    "Log in": ("ورود", "Войти"),
    "Menu": ("منو", "Меню"),
    "Switch": ("تغییر", "Сменить"),
    "Everyone": ("همه", "Все"),
    "Show": ("نمایش", "Показать"),
    "Drag a card to another column to move the deal. Won and lost columns show the last 30 days.": (
        "برای جابه‌جایی معامله، کارت را به ستون دیگر بکشید. ستون‌های برنده و باخته ۳۰ روز اخیر را نشان می‌دهند.",
        "Перетащите карточку в другую колонку, чтобы перевести сделку. "
        "Колонки «выиграно» и «проиграно» показывают последние 30 дней."),
    "deals": ("معامله", "сделок"),
    "weighted": ("وزنی", "взвешенно"),
    "%(count)s records chosen.": ("%(count)s رکورد انتخاب شد.", "Выбрано записей: %(count)s."),
    "New owner": ("مسئول تازه", "Новый ответственный"),
    "Nobody": ("هیچ‌کس", "Никто"),
    "Tag to add": ("برچسب برای افزودن", "Добавляемая метка"),
    "Apply": ("اعمال", "Применить"),
    "Cancel": ("انصراف", "Отмена"),
    "Edit": ("ویرایش", "Изменить"),
    "Place": ("مکان", "Место"),
    "Marketing consent": ("رضایت بازاریابی", "Согласие на рассылки"),
    "yes": ("بله", "да"),
    "no": ("خیر", "нет"),
    "Contact people": ("اشخاص رابط", "Контактные лица"),
    "No contact people yet.": ("هنوز شخص رابطی نیست.", "Контактных лиц пока нет."),
    "Add a contact person": ("افزودن شخص رابط", "Добавить контактное лицо"),
    "Add": ("افزودن", "Добавить"),
    "Log a call, visit or email": ("ثبت تماس، بازدید یا ایمیل", "Записать звонок, визит или письмо"),
    "Add a task": ("افزودن کار", "Добавить задачу"),
    "Open a deal": ("باز کردن معامله", "Открыть сделку"),
    "No contact person": ("بدون شخص رابط", "Без контактного лица"),
    "Log it": ("ثبت", "Записать"),
    "What needs doing": ("چه باید کرد", "Что нужно сделать"),
    "Add the task": ("افزودن کار", "Добавить задачу"),
    "Open the deal": ("باز کردن معامله", "Открыть сделку"),
    "No deals yet.": ("هنوز معامله‌ای نیست.", "Сделок пока нет."),
    "No tasks.": ("کاری نیست.", "Задач нет."),
    "Timeline": ("گاه‌شمار", "Хронология"),
    "Nothing on the timeline yet.": ("هنوز چیزی در گاه‌شمار نیست.", "В хронологии пока пусто."),
    "Older": ("قدیمی‌تر", "Раньше"),
    "No pipeline yet.": ("هنوز قیفی نیست.", "Воронки пока нет."),
    "Success formula R = N × V × L": ("فرمول موفقیت R = N × V × L", "Формула успеха R = N × V × L"),
    "N: active customers": ("N: مشتریان فعال", "N: активные клиенты"),
    "V: revenue per customer": ("V: درآمد هر مشتری", "V: выручка на клиента"),
    "L: retention": ("L: ماندگاری", "L: удержание"),
    "R": ("R", "R"),
    "Active: a won deal in the 12 months before each month end. Retention: the share of the previous 12 months' "
    "active customers still active.": (
        "فعال: یک معامله برنده در ۱۲ ماه پیش از پایان هر ماه. ماندگاری: سهم مشتریان فعال ۱۲ ماه قبل که هنوز فعال‌اند.",
        "Активный: выигранная сделка за 12 месяцев до конца месяца. Удержание: доля активных клиентов "
        "предыдущих 12 месяцев, оставшихся активными."),
    "Tasks due today": ("کارهای امروز", "Задачи на сегодня"),
    "Nothing due today.": ("امروز کاری نیست.", "На сегодня ничего."),
    "Recent touchpoints": ("تعامل‌های اخیر", "Последние взаимодействия"),
    "No touchpoints yet.": ("هنوز تعاملی نیست.", "Взаимодействий пока нет."),
    "on": ("روشن", "вкл."),
    "off": ("خاموش", "выкл."),
    "Requires": ("نیازمند", "Требует"),
    "Turn off": ("خاموش کردن", "Выключить"),
    "Turn on": ("روشن کردن", "Включить"),
    "Save settings": ("ذخیره تنظیمات", "Сохранить настройки"),
    "No plugins are installed.": ("افزونه‌ای نصب نیست.", "Плагины не установлены."),
    "Too many failed attempts. Wait a quarter of an hour and try again.": (
        "تلاش‌های ناموفق زیاد است. یک ربع صبر کنید و دوباره بکوشید.",
        "Слишком много неудачных попыток. Подождите четверть часа и попробуйте снова."),
    "Delete": ("حذف", "Удалить"),
    "Are you sure you want to delete selected records?": ("رکوردهای انتخاب‌شده حذف شوند؟",
                                                           "Удалить выбранные записи?"),
    "%(count)s records were deleted.": ("%(count)s رکورد حذف شد.", "Удалено записей: %(count)s."),
    "Wrong email or password.": ("ایمیل یا گذرواژه نادرست است.", "Неверный адрес или пароль."),
}


def build() -> None:
    """Refresh en/fa/ru catalogues from messages.pot with the texts above, and compile them."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po, write_po

    with open(HERE / "messages.pot", "rb") as handle:
        template = read_po(handle)
    for index, locale in ((None, "en"), (0, "fa"), (1, "ru")):
        folder = HERE / locale / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        with open(HERE / "messages.pot", "rb") as handle:
            catalog = read_po(handle, locale=locale)
        for message in catalog:
            if message.id and index is not None and message.id in TEXTS:
                message.string = TEXTS[message.id][index]
        catalog.fuzzy = False
        catalog.project, catalog.version = "crmcore", "0.1"
        catalog.header_comment = f"# {locale} translations of the crmcore screens."
        with open(folder / "messages.po", "wb") as handle:
            write_po(handle, catalog, width=120)
        with open(folder / "messages.mo", "wb") as handle:
            write_mo(handle, catalog)
    del template


if __name__ == "__main__":
    build()
