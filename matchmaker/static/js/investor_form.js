// Investor profile form: fields marked data-show-for="<type>" show for that investor type only,
// or whenever they already hold text (nothing typed is ever hidden).
(function () {
  var type = document.getElementById('type');
  if (!type) return;
  function sync() {
    document.querySelectorAll('[data-show-for]').forEach(function (el) {
      var input = el.querySelector('textarea');
      var keep = input && input.value.trim() !== '';
      el.hidden = !(keep || el.dataset.showFor === type.value);
    });
  }
  type.addEventListener('change', sync);
  sync();
})();
