// Operator monitoring: each .metric-chart canvas is drawn from the JSON block that follows it.
document.querySelectorAll('.metric-chart').forEach(function (canvas) {
  var spec = JSON.parse(canvas.nextElementSibling.textContent);
  new Chart(canvas, {type: spec.type, data: {labels: spec.labels, datasets: spec.datasets},
    options: {responsive: true, animation: false, plugins: {legend: {display: spec.datasets.length > 1}},
      scales: {y: {beginAtZero: true}}}});
});
