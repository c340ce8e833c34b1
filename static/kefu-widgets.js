/* Kefu Desk: Flask-Admin's widgets (select2 3.5, daterangepicker 1.3) in the page's language,
   and never in the way of a form's buttons. Loaded once by templates/kefu/master.html, after
   select2 and before Flask-Admin's form.js (which creates the widgets when the page is ready). */
(function ($) {
  "use strict";
  var meta = document.querySelector('meta[name="kefu-locale"]');
  var chinese = !meta || meta.content.indexOf("zh") === 0;

  // ------------------------------------------------------------ select2 messages
  if (chinese && $.fn.select2) {
    $.extend($.fn.select2.defaults, {
      formatMatches: function (matches) { return "共 " + matches + " 项结果，可用上下方向键选择"; },
      formatNoMatches: function () { return "没有找到匹配项"; },
      formatAjaxError: function () { return "查询失败，请稍后重试"; },
      formatInputTooShort: function (input, min) { return "请再输入 " + (min - input.length) + " 个字符"; },
      formatInputTooLong: function (input, max) { return "请删掉 " + (input.length - max) + " 个字符"; },
      formatSelectionTooBig: function (limit) { return "最多只能选择 " + limit + " 项"; },
      formatLoadMore: function () { return "正在加载更多结果…"; },
      formatSearching: function () { return "正在搜索…"; }
    });
  }

  // ------------------------------------------------------------ buttons stay clickable
  // While a picker or a select2 list is open, the form's buttons sit above it (kefu.css): one
  // click on 保存 closes the widget and saves.
  function widgetOpen(open) {
    $(document.body).toggleClass("kefu-widget-open", open);
  }
  $(document).on("select2-open", function () { widgetOpen(true); });
  $(document).on("select2-close", function () { widgetOpen(false); });

  function buttonsOf(picker) {
    var form = picker.element.closest("form");
    return (form.length ? form : $(document)).find(".submit-row .btn, [type=submit]").filter(":visible");
  }

  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  function box($el) {
    var offset = $el.offset();
    return {left: offset.left, top: offset.top,
            right: offset.left + $el.outerWidth(), bottom: offset.top + $el.outerHeight()};
  }

  function coversButton(picker) {
    var picked = box(picker.container), covered = false;
    buttonsOf(picker).each(function () { covered = covered || overlaps(picked, box($(this))); });
    return covered;
  }

  function onScreen(picker) {
    var picked = box(picker.container), $window = $(window);
    return picked.top >= $window.scrollTop()
      && picked.bottom <= $window.scrollTop() + $window.height();
  }

  // Below the field when it fits there without covering a button, else above it when that
  // does; failing both, below (the buttons stay above it, see widgetOpen).
  function placeClearOfButtons(picker) {
    var move = picker.move;
    picker.move = function () {
      var tries = ["down", "up"];
      for (var i = 0; i < tries.length; i++) {
        this.drops = tries[i];
        move.call(this);
        if (onScreen(this) && !coversButton(this)) return;
      }
      this.drops = "down";
      move.call(this);
    };
    picker.element.on("show.daterangepicker", function () { widgetOpen(true); });
    picker.element.on("hide.daterangepicker", function () { widgetOpen(false); });
  }

  // ------------------------------------------------------------ date and time pickers
  var pickerLocale = chinese ? {
    applyLabel: "确定", cancelLabel: "取消", fromLabel: "从", toLabel: "到", weekLabel: "周",
    customRangeLabel: "自定义",
    daysOfWeek: ["日", "一", "二", "三", "四", "五", "六"],
    monthNames: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
    firstDay: 0
  } : {};

  function localisePickers() {
    var original = $.fn.daterangepicker;
    if (!original || original.kefu) return;
    $.fn.daterangepicker = function (options, callback) {
      var merged = $.extend(true, {}, options, {locale: pickerLocale});
      var result = original.call(this, merged, callback);
      this.each(function () {
        var picker = $(this).data("daterangepicker");
        if (picker) placeClearOfButtons(picker);
      });
      return result;
    };
    $.fn.daterangepicker.kefu = true;
  }
  // form.js announces itself once daterangepicker.js (loaded just before it) is there.
  $(document).on("adminFormReady", localisePickers);
  $(localisePickers);
})(jQuery);
