/* Kefu Desk: the links and buttons an inline onclick used to run (the Content-Security-Policy allows no
   inline handlers): a print button prints the page; a list's bulk action runs Flask-Admin's
   modelActions.execute with the action named in data-kefu-action. */
document.addEventListener("click", function (event) {
  "use strict";
  var target = event.target.closest ? event.target : event.target.parentElement;
  var printer = target && target.closest("[data-kefu-print]");
  if (printer) {
    event.preventDefault();
    window.print();
    return;
  }
  // Flask-Admin's filter links (href="javascript:void(0)" onclick="return false;", both refused
  // by the policy): stop the navigation here; its filters.js adds the filter.
  var scripted = target && target.closest('a[href^="javascript:"]');
  if (scripted) {
    event.preventDefault();
  }
  var action = target && target.closest("[data-kefu-action]");
  if (action && window.modelActions) {
    event.preventDefault();
    window.modelActions.execute(action.getAttribute("data-kefu-action"));
  }
});
