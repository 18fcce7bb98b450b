// Facility usage: hours open (a line), booked and used (bars) per day, from #usage-data.
(function () {
  var canvas = document.getElementById('usage-chart');
  var source = document.getElementById('usage-data');
  if (!canvas || !source) return;
  var data = JSON.parse(source.textContent);
  var colours = ['#adb5bd', '#0d6efd', '#198754'];
  data.datasets.forEach(function (d, i) { d.backgroundColor = colours[i]; d.borderColor = colours[i]; });
  data.datasets[0].type = 'line';
  new Chart(canvas, {type: 'bar', data: data, options: {responsive: true, scales: {y: {beginAtZero: true}}}});
})();
