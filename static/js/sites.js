// The site picker: a chosen site's address shows as the address field's placeholder (an
// empty address takes it); on registration, only the chosen park's sites are offered.
(function () {
  document.querySelectorAll("select[data-site-picker]").forEach(function (picker) {
    var form = picker.form;
    var address = form.querySelector("input[name=address]");
    var park = form.querySelector("select[name=park_id]");
    var blank = address ? address.getAttribute("placeholder") || "" : "";
    function showAddress() {
      var option = picker.options[picker.selectedIndex];
      if (address) address.setAttribute("placeholder", (option && option.dataset.address) || blank);
    }
    function filterByPark() {
      if (!park) return;
      Array.prototype.forEach.call(picker.querySelectorAll("option[data-park]"), function (o) {
        var hide = o.dataset.park !== park.value;
        o.hidden = hide;
        o.disabled = hide;
        if (hide && o.selected) picker.value = "0";
      });
      Array.prototype.forEach.call(picker.querySelectorAll("optgroup"), function (g) {
        g.hidden = !g.querySelector("option:not([hidden])");
      });
      showAddress();
    }
    picker.addEventListener("change", showAddress);
    if (park) park.addEventListener("change", filterByPark);
    filterByPark();
    showAddress();
  });
})();
